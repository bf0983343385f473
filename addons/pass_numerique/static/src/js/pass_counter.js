/** @odoo-module **/
/* Venue counter of the Pass Numérique portal (/my/pass-counter).
 *
 * The page is a plain form that works without JavaScript; this widget posts
 * it to the JSON routes instead, shows the answer in large text, refreshes the
 * day's redemptions, disables the buttons while a request is running (a second
 * click cannot send a second redemption), offers the camera scan where the
 * browser has BarcodeDetector, and the cancellation of a recent redemption.
 */
import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";
import { _t } from "@web/core/l10n/translation";

const SCAN_INTERVAL_MS = 250;

publicWidget.registry.PassCounter = publicWidget.Widget.extend({
    selector: ".o_pass_counter",
    events: {
        "submit .o_pass_counter_form": "_onSubmit",
        "click .o_pass_scan": "_onScan",
        "click .o_pass_scan_stop": "_stopScan",
        "click .o_pass_cancel": "_onCancel",
    },

    start() {
        this.busy = false;
        this.stream = null;
        this.scanTimer = null;
        this.codeInput = this.el.querySelector(".o_pass_code");
        this.serviceSelect = this.el.querySelector(".o_pass_service");
        this.resultEl = this.el.querySelector(".o_pass_result");
        this.buttons = [...this.el.querySelectorAll(".o_pass_check, .o_pass_redeem")];
        if (
            "BarcodeDetector" in window &&
            navigator.mediaDevices &&
            navigator.mediaDevices.getUserMedia
        ) {
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
        for (const button of this.buttons) {
            button.disabled = busy;
        }
        this.el.classList.toggle("o_pass_busy", busy);
    },

    _showResult(level, message) {
        this.resultEl.className = `o_pass_result alert fs-4 fw-bold alert-${level}`;
        this.resultEl.textContent = message;
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
                    cancel.className = "btn btn-sm btn-outline-danger o_pass_cancel";
                    cancel.textContent = _t("Annuler");
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
                this.codeInput.value = "";
                this.codeInput.focus();
            } else if (!result.ok) {
                this.codeInput.select();
            }
        } catch {
            this._showResult(
                "danger",
                _t("Le serveur n'a pas répondu : vérifiez la connexion, puis vérifiez le pass avant de réessayer.")
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

    async _onCancel(ev) {
        const row = ev.currentTarget.closest(".o_pass_today_row");
        const reason = window.prompt(_t("Pourquoi annuler cet encaissement ?"), "");
        if (reason === null || this.busy) {
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
            this._showResult("danger", _t("L'annulation n'a pas pu être faite : rechargez la page."));
        } finally {
            this._setBusy(false);
        }
    },

    async _onScan() {
        const scanner = this.el.querySelector(".o_pass_scanner");
        const video = this.el.querySelector(".o_pass_video");
        try {
            const detector = new window.BarcodeDetector();
            this.stream = await navigator.mediaDevices.getUserMedia({
                video: { facingMode: "environment" },
                audio: false,
            });
            video.srcObject = this.stream;
            scanner.classList.remove("d-none");
            await video.play();
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
                _t("L'appareil photo n'est pas disponible : saisissez le code au clavier.")
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
