/** @odoo-module **/
/* Venue counter: a venue user redeems a pass typed with spaces, then the
 * same pass typed with dashes is refused as already used.
 * Run by tests/test_portal.py (TestPortalCounter), which gives the pass the
 * code 3141 5926 5358 9795 and the venue the service pn_tour_workshop. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("pass_counter_tour", {
    url: "/my/pass-counter",
    steps: () => [
        {
            content: "Type the code as printed, with spaces",
            trigger: ".o_pass_counter input.o_pass_code",
            run: "edit 3141 5926 5358 9795",
        },
        {
            content: "Pick the service given",
            trigger: ".o_pass_counter select.o_pass_service",
            run: "select pn_tour_workshop",
        },
        {
            content: "Redeem with an impatient double click: one request only",
            trigger: ".o_pass_counter .o_pass_redeem:enabled",
            run() {
                const button = document.querySelector(".o_pass_counter .o_pass_redeem");
                button.click();
                // The button is disabled while the first request runs.
                if (!button.disabled) {
                    throw new Error("The redeem button stays enabled while redeeming.");
                }
                button.click();
            },
        },
        {
            content: "The pass is accepted, in large text",
            trigger: ".o_pass_result.alert-success:contains('Pass accepté')",
        },
        {
            content: "It is in the day's redemptions",
            trigger: ".o_pass_today .o_pass_today_row:contains('9795')",
        },
        {
            content: "The code field is empty again for the next pass",
            trigger: ".o_pass_counter input.o_pass_code:not(:value(3141))",
        },
        {
            content: "Type the same code again, with dashes this time",
            trigger: ".o_pass_counter input.o_pass_code",
            run: "edit 3141-5926-5358-9795",
        },
        {
            content: "The service is to be chosen again for the next pass",
            trigger: ".o_pass_counter select.o_pass_service",
            run: "select pn_tour_workshop",
        },
        {
            content: "Redeem again",
            trigger: ".o_pass_counter .o_pass_redeem:enabled",
            run: "click",
        },
        {
            content: "The second redemption is refused: already used",
            trigger: ".o_pass_result.alert-danger:contains('déjà été encaissé')",
        },
        {
            content: "Still one redemption in the day's list",
            trigger: ".o_pass_today_count:contains('1')",
        },
    ],
});
