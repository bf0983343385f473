/** @odoo-module **/
/* Venue counter of the Pass Numérique portal (/my/pass-counter).
 *
 * The page is a plain form that works without JavaScript; this widget posts
 * it to the JSON routes instead, shows the answer in large text (and clears it
 * as soon as the code changes: an answer never seems to apply to the next
 * code), refreshes the day's redemptions, disables the buttons while a request
 * is running (a second click cannot send a second redemption), refuses to
 * redeem before a service is chosen, scans the barcode with the phone's camera
 * and cancels a recent redemption through an in-page dialog.
 *
 * Scanning uses the browser's BarcodeDetector where it reads Code 128
 * (Chrome on Android), else the ZXing decoder vendored in static/lib
 * (barcode-detector ponyfill + zxing-wasm), loaded on the first scan only:
 * iPhone Safari, Firefox and desktop browsers scan too.
 */
import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";
import { loadBundle } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";

const SCAN_INTERVAL_MS = 200;
const SCANNER_BUNDLE = "pass_numerique.assets_scanner";
const ZXING_WASM = "/pass_numerique/static/lib/zxing-wasm/zxing_reader.wasm";
// Pass barcodes are Code 128 (tools/book_pdf.py).
const FORMATS = ["code_128"];

/**
 * A BarcodeDetector reading Code 128: the browser's own when it has one that
 * does, else the vendored ZXing one.
 */
export async function getBarcodeDetector() {
    if ("BarcodeDetector" in window) {
        try {
            const formats = await window.BarcodeDetector.getSupportedFormats();
            if (formats.includes("code_128")) {
                return new window.BarcodeDetector({ formats: FORMATS });
            }
        } catch {
            // A native detector that cannot tell its formats: use ZXing.
        }
    }
    await loadBundle(SCANNER_BUNDLE);
    const api = window.BarcodeDetectionAPI;
    // The .wasm is served by Odoo, never fetched from a CDN.
    await api.prepareZXingModule({
        overrides: {
            locateFile: (path, prefix) => (path.endsWith(".wasm") ? ZXING_WASM : prefix + path),
        },
        fireImmediately: true,
    });
    return new api.BarcodeDetector({ formats: FORMATS });
}

publicWidget.registry.PassCounter = publicWidget.Widget.extend({
    selector: ".o_pass_counter",
    events: {
        "submit .o_pass_counter_form": "_onSubmit",
        "input .o_pass_code": "_clearResult",
        "click .o_pass_scan": "_onScan",
        "click .o_pass_scan_stop": "_stopScan",
        "click .o_pass_cancel": "_onCancel",
        "change .o_pass_cancel_form input[name=reason]": "_onReasonChange",
        "input .o_pass_cancel_other": "_onReasonChange",
        "click .o_pass_cancel_back": "_closeDialog",
        "click .o_pass_cancel_confirm": "_onConfirmCancel",
    },

    start() {
        this.busy = false;
        this.stream = null;
        this.scanTimer = null;
        this.cancelRow = null;
        this.codeInput = this.el.querySelector(".o_pass_code");
        this.serviceSelect = this.el.querySelector(".o_pass_service");
        this.resultEl = this.el.querySelector(".o_pass_result");
        this.dialog = this.el.querySelector(".o_pass_cancel_dialog");
        this.buttons = [...this.el.querySelectorAll(".o_pass_check, .o_pass_redeem")];
        // The script says why a redemption is refused (in French), instead
        // of the browser's own bubble.
        this.el.querySelector(".o_pass_counter_form").noValidate = true;
        if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
            this.el.querySelector(".o_pass_scan").classList.remove("d-none");
        }
        for (const button of this.el.querySelectorAll(".o_pass_cancel")) {
            button.classList.remove("d-none");
        }
        this.codeInput.focus();
        return this._super(...arguments);
    },

    destroy() {
        this._stopScan();
        this._super(...arguments);
    },

    // ------------------------------------------------------------------ helpers
    _setBusy(busy) {
        this.busy = busy;
        for (const button of [...this.buttons, this.el.querySelector(".o_pass_cancel_confirm")]) {
            button.disabled = busy;
        }
        this.el.classList.toggle("o_pass_busy", busy);
        if (!busy) {
            this._onReasonChange();
        }
    },

    _showResult(level, message) {
        this.resultEl.className = `o_pass_result alert fs-4 fw-bold alert-${level}`;
        this.resultEl.textContent = message;
    },

    _clearResult() {
        this.resultEl.className = "o_pass_result alert fs-4 fw-bold d-none";
        this.resultEl.textContent = "";
    },

    _renderToday(today) {
        if (!today) {
            return;
        }
        const list = this.el.querySelector(".o_pass_today");
        list.replaceChildren(
            ...today.rows.map((row) => {
                const li = document.createElement("li");
                li.className =
                    "o_pass_today_row list-group-item d-flex justify-content-between align-items-center gap-2";
                li.dataset.voucherId = row.id;
                const text = document.createElement("div");
                text.className = "o_pass_today_text";
                const head = document.createElement("div");
                head.className = "fw-bold";
                const code = document.createElement("span");
                code.className = "font-monospace";
                code.textContent = row.code;
                head.append(`${row.time} · ${row.amount} · `, code);
                const service = document.createElement("div");
                service.className = "small text-muted";
                service.textContent = row.service;
                text.append(head, service);
                li.append(text);
                if (row.can_cancel) {
                    const cancel = document.createElement("button");
                    cancel.type = "button";
                    cancel.className = "btn btn-outline-danger o_pass_cancel";
                    cancel.textContent = _t("Cancel");
                    li.append(cancel);
                }
                return li;
            })
        );
        this.el.querySelector(".o_pass_today_count").textContent = today.count;
        this.el.querySelector(".o_pass_today_total").textContent = today.total;
        this.el.querySelector(".o_pass_today_empty").classList.toggle("d-none", today.count > 0);
    },

    async _send(action) {
        if (this.busy) {
            return;
        }
        if (action === "redeem" && !this.serviceSelect.value) {
            // The server refuses it too; no request needed to say so.
            this._showResult("warning", _t("Choose the service provided before redeeming."));
            this.serviceSelect.focus();
            return;
        }
        this._setBusy(true);
        const route = action === "redeem" ? "/my/pass-counter/redeem" : "/my/pass-counter/check";
        try {
            const result = await rpc(route, {
                code: this.codeInput.value,
                service_code: this.serviceSelect.value,
            });
            this._showResult(result.level, result.message);
            this._renderToday(result.today);
            if (result.ok && action === "redeem") {
                // The next person starts from scratch: no code, no service.
                this.codeInput.value = "";
                this.serviceSelect.value = this.serviceSelect.dataset.defaultService || "";
                this.codeInput.focus();
            } else if (result.reason === "no_service") {
                this.serviceSelect.focus();
            } else if (!result.ok) {
                this.codeInput.select();
            }
        } catch {
            this._showResult(
                "danger",
                _t("The server did not answer: check the connection, then check the pass before trying again.")
            );
        } finally {
            this._setBusy(false);
        }
    },

    // ------------------------------------------------------------------ handlers
    _onSubmit(ev) {
        ev.preventDefault();
        const submitter = ev.originalEvent && ev.originalEvent.submitter;
        const action = submitter && submitter.value === "redeem" ? "redeem" : "check";
        this._send(action);
    },

    // ------------------------------------------------------------------ cancellation
    _onCancel(ev) {
        if (this.busy) {
            return;
        }
        this.cancelRow = ev.currentTarget.closest(".o_pass_today_row");
        const summary = this.cancelRow.querySelector(".o_pass_today_text");
        this.dialog.querySelector(".o_pass_cancel_summary").textContent = [
            ...summary.children,
        ]
            .map((line) => line.textContent.trim().replace(/\s+/g, " "))
            .filter(Boolean)
            .join(" — ");
        this.dialog.querySelector(".o_pass_cancel_form").reset();
        this._onReasonChange();
        this.dialog.showModal();
    },

    _reason() {
        const picked = this.dialog.querySelector("input[name=reason]:checked");
        if (!picked) {
            return "";
        }
        if (picked.value === "other") {
            return this.dialog.querySelector(".o_pass_cancel_other").value.trim();
        }
        return picked.value;
    },

    _onReasonChange() {
        if (!this.dialog) {
            return;
        }
        const picked = this.dialog.querySelector("input[name=reason]:checked");
        const other = this.dialog.querySelector(".o_pass_cancel_other");
        const isOther = Boolean(picked && picked.value === "other");
        other.classList.toggle("d-none", !isOther);
        if (isOther && document.activeElement !== other && picked === document.activeElement) {
            other.focus();
        }
        this.dialog.querySelector(".o_pass_cancel_confirm").disabled =
            this.busy || !this._reason();
    },

    _closeDialog() {
        if (this.dialog.open) {
            this.dialog.close();
        }
        this.cancelRow = null;
    },

    async _onConfirmCancel() {
        const reason = this._reason();
        const row = this.cancelRow;
        if (!reason || !row || this.busy) {
            return;
        }
        this._setBusy(true);
        try {
            const result = await rpc("/my/pass-counter/cancel", {
                voucher_id: parseInt(row.dataset.voucherId, 10),
                reason,
            });
            this._showResult(result.level, result.message);
            this._renderToday(result.today);
        } catch {
            this._showResult("danger", _t("The cancellation could not be done: reload the page."));
        } finally {
            this._setBusy(false);
            this._closeDialog();
        }
    },

    // ------------------------------------------------------------------ camera
    async _onScan() {
        const scanner = this.el.querySelector(".o_pass_scanner");
        const video = this.el.querySelector(".o_pass_video");
        if (this.stream) {
            return;
        }
        this._clearResult();
        try {
            this.stream = await navigator.mediaDevices.getUserMedia({
                video: { facingMode: "environment" },
                audio: false,
            });
            video.srcObject = this.stream;
            scanner.classList.remove("d-none");
            await video.play();
            const detector = await getBarcodeDetector();
            const tick = async () => {
                if (!this.stream) {
                    return;
                }
                try {
                    const codes = await detector.detect(video);
                    const found = codes.find((c) => /\d{6,}/.test(c.rawValue || ""));
                    if (found) {
                        this.codeInput.value = found.rawValue.replace(/\D+/g, "");
                        this._stopScan();
                        this._send("check");
                        return;
                    }
                } catch {
                    // A frame that cannot be read yet: try the next one.
                }
                this.scanTimer = setTimeout(tick, SCAN_INTERVAL_MS);
            };
            tick();
        } catch {
            this._stopScan();
            this._showResult(
                "warning",
                _t("The camera is not available: type the code on the keyboard.")
            );
        }
    },

    _stopScan() {
        clearTimeout(this.scanTimer);
        this.scanTimer = null;
        if (this.stream) {
            for (const track of this.stream.getTracks()) {
                track.stop();
            }
            this.stream = null;
        }
        const scanner = this.el && this.el.querySelector(".o_pass_scanner");
        if (scanner) {
            scanner.classList.add("d-none");
        }
    },
});

export default publicWidget.registry.PassCounter;
