/** @odoo-module **/
/* Venue counter, the whole flow as the person at the desk lives it:
 * - no service is chosen in advance ("Choisir le service"), and "Encaisser"
 *   without one is refused, the pass untouched;
 * - the answer disappears as soon as the code is changed;
 * - every control is at least 44 x 44 px;
 * - "Annuler" opens an in-page dialog with a list of reasons (never the
 *   browser's prompt());
 * - the camera scan reads the pass's barcode through the vendored ZXing
 *   decoder (the headless browser has no BarcodeDetector): the camera is a
 *   canvas showing the barcode Odoo draws for the pass's code.
 * Run by tests/test_tour_counter.py at desktop size and at 375 x 667.
 */
import { registry } from "@web/core/registry";

const CODE = "3141592653589795";
const TAP = 44;

function assertTappable(selector) {
    const elements = [...document.querySelectorAll(selector)].filter(
        (el) => el.offsetParent !== null
    );
    if (!elements.length) {
        throw new Error(`Nothing visible matches ${selector}`);
    }
    for (const el of elements) {
        const box = el.getBoundingClientRect();
        if (box.height < TAP - 0.5 || box.width < TAP - 0.5) {
            throw new Error(
                `${selector} is ${Math.round(box.width)} x ${Math.round(box.height)} px, ` +
                    `less than ${TAP} x ${TAP}: too small to tap`
            );
        }
    }
}

/** A fake camera: a canvas stream showing the pass's barcode. */
async function fakeCamera() {
    const image = new Image();
    image.src = `/report/barcode/?barcode_type=Code128&value=${CODE}&width=600&height=150`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = 800;
    canvas.height = 400;
    const context = canvas.getContext("2d");
    const paint = () => {
        context.fillStyle = "#fff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 100, 125);
    };
    paint();
    // A camera keeps sending frames.
    window.__passFakeCameraTimer = setInterval(paint, 100);
    const stream = canvas.captureStream(10);
    navigator.mediaDevices.getUserMedia = async () => stream;
}

registry.category("web_tour.tours").add("pass_counter_flow_tour", {
    url: "/my/pass-counter",
    steps: () => [
        {
            content: "The page is in French and no service is chosen yet",
            trigger: ".o_pass_counter select.o_pass_service",
            run() {
                window.prompt = () => {
                    throw new Error("The counter used the browser's prompt().");
                };
                if (document.documentElement.lang !== "fr-FR") {
                    throw new Error(`<html lang="${document.documentElement.lang}">`);
                }
                const select = document.querySelector(".o_pass_service");
                if (select.value !== "" || !select.selectedOptions[0].textContent.includes("Choisir le service")) {
                    throw new Error(`A service is chosen in advance: ${select.value}`);
                }
                assertTappable(".o_pass_code");
                assertTappable(".o_pass_service");
                assertTappable(".o_pass_check");
                assertTappable(".o_pass_redeem");
                assertTappable(".o_pass_scan");
            },
        },
        {
            content: "Type the code",
            trigger: ".o_pass_counter input.o_pass_code",
            run: `edit ${CODE}`,
        },
        {
            content: "Redeem without choosing the service",
            trigger: ".o_pass_counter .o_pass_redeem:enabled",
            run: "click",
        },
        {
            content: "Refused: choose the service first",
            trigger: ".o_pass_result.alert-warning:contains('Choisissez le service')",
        },
        {
            content: "Nothing was redeemed",
            trigger: ".o_pass_today_count:contains('0')",
        },
        {
            content: "Choose the service",
            trigger: ".o_pass_counter select.o_pass_service",
            run: "select pn_tour_workshop",
        },
        {
            content: "Check the pass",
            trigger: ".o_pass_counter .o_pass_check:enabled",
            run: "click",
        },
        {
            content: "The pass is valid",
            trigger: ".o_pass_result.alert-info:contains('Pass valable')",
        },
        {
            content: "Another code is typed",
            trigger: ".o_pass_counter input.o_pass_code",
            run: "edit 2718 2818",
        },
        {
            content: "The previous answer is gone: it was about the other code",
            trigger: ".o_pass_counter input.o_pass_code",
            run() {
                const result = document.querySelector(".o_pass_result");
                if (result.offsetParent !== null || result.textContent.trim()) {
                    throw new Error(`The old answer stays: ${result.textContent}`);
                }
            },
        },
        {
            content: "Back to the right code",
            trigger: ".o_pass_counter input.o_pass_code",
            run: `edit ${CODE}`,
        },
        {
            content: "Redeem",
            trigger: ".o_pass_counter .o_pass_redeem:enabled",
            run: "click",
        },
        {
            content: "Accepted",
            trigger: ".o_pass_result.alert-success:contains('Pass accepté')",
        },
        {
            content: "The next person starts without a service chosen",
            trigger: ".o_pass_today .o_pass_today_row:contains('9795') .o_pass_cancel",
            run() {
                const select = document.querySelector(".o_pass_service");
                if (select.value !== "") {
                    throw new Error(`The service stays chosen: ${select.value}`);
                }
                assertTappable(".o_pass_today_row .o_pass_cancel");
            },
        },
        {
            content: "Cancel the redemption",
            trigger: ".o_pass_today_row:contains('9795') .o_pass_cancel",
            run: "click",
        },
        {
            content: "An in-page dialog asks why; nothing chosen, nothing to confirm",
            // Which pass: the dialog names it.
            trigger: ".o_pass_cancel_dialog .o_pass_cancel_summary:contains('9795')",
            run() {
                if (!document.querySelector(".o_pass_cancel_dialog").open) {
                    throw new Error("The dialog is not open.");
                }
                if (!document.querySelector(".o_pass_cancel_confirm").disabled) {
                    throw new Error("The cancellation can be confirmed without a reason.");
                }
                assertTappable(".o_pass_cancel_dialog .o_pass_cancel_reason");
                assertTappable(".o_pass_cancel_dialog .o_pass_cancel_back");
                assertTappable(".o_pass_cancel_dialog .o_pass_cancel_confirm");
            },
        },
        {
            content: "Pick the reason",
            trigger: ".o_pass_cancel_dialog .o_pass_cancel_reason:contains('Mauvais service choisi')",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".o_pass_cancel_dialog .o_pass_cancel_confirm:enabled",
            run: "click",
        },
        {
            content: "Cancelled, the dialog closed, the day's list empty again",
            trigger: ".o_pass_result.alert-success:contains('Encaissement annulé')",
        },
        {
            content: "The dialog is closed",
            trigger: ".o_pass_today_count:contains('0')",
            run() {
                if (document.querySelector(".o_pass_cancel_dialog").open) {
                    throw new Error("The dialog stays open.");
                }
            },
        },
        {
            content: "Clear the code, then point the camera at the pass",
            trigger: ".o_pass_counter input.o_pass_code",
            async run(helpers) {
                await helpers.edit("");
                await fakeCamera();
            },
        },
        {
            content: "Scan",
            trigger: ".o_pass_counter .o_pass_scan:enabled",
            run: "click",
        },
        {
            content: "The barcode is read and the pass checked",
            trigger: ".o_pass_result.alert-info:contains('Pass valable')",
            timeout: 30000,
            run() {
                clearInterval(window.__passFakeCameraTimer);
                const code = document.querySelector(".o_pass_code").value;
                if (code !== CODE) {
                    throw new Error(`The scan typed ${code}`);
                }
            },
        },
    ],
});
