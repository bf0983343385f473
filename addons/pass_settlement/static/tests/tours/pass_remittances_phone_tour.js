/** @odoo-module **/
/* Venue remittances in the portal: on a 375 px phone the slips are stacked
 * cards (o_pass_table_stack) whose status, amount and PDF link stay inside
 * the screen; the same on the slip's own page.
 * Run by tests/test_tour_remittances.py, which gives the venue one validated
 * slip (3 passes, "Réglé, virement à venir") and one sent (2 passes). */
import { registry } from "@web/core/registry";

function assertInViewport(element, what) {
    if (!element) {
        throw new Error(`${what}: not on the page.`);
    }
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) {
        throw new Error(`${what}: not visible.`);
    }
    if (rect.left < 0 || rect.right > window.innerWidth) {
        throw new Error(
            `${what}: from ${rect.left} to ${rect.right} px, ` +
                `outside the ${window.innerWidth} px wide window.`
        );
    }
    // Not cut by its own cell either (a cell too narrow for a badge).
    const cell = element.closest("td") || element.parentElement;
    const box = cell.getBoundingClientRect();
    if (rect.left < box.left - 1 || rect.right > box.right + 1) {
        throw new Error(
            `${what}: from ${rect.left} to ${rect.right} px, ` +
                `wider than its cell (${box.left} to ${box.right} px).`
        );
    }
}

function assertFullWidthCard(row, what) {
    // On a phone a card spans the screen, not a column of it.
    if (window.innerWidth < 768) {
        const width = row.getBoundingClientRect().width;
        if (width < 0.8 * window.innerWidth) {
            throw new Error(`${what}: a card ${width} px wide on a ${window.innerWidth} px screen.`);
        }
        for (const cell of row.querySelectorAll("td")) {
            if (cell.getBoundingClientRect().width < 0.8 * width) {
                throw new Error(`${what}: a line narrower than its card.`);
            }
        }
    }
}

registry.category("web_tour.tours").add("pass_remittances_phone_tour", {
    url: "/my/pass/remittances",
    steps: () => [
        {
            content: "Two slips are listed",
            trigger: ".o_pass_remittance_list .o_pass_remittance_row",
            run() {
                const count = document.querySelectorAll(".o_pass_remittance_row").length;
                if (count !== 2) {
                    throw new Error(`${count} slips listed instead of 2.`);
                }
            },
        },
        {
            content: "The validated slip says it is settled, transfer to come",
            trigger:
                ".o_pass_remittance_row .o_pass_remittance_state:contains('Réglé, virement à venir')",
        },
        {
            content: "The sent slip says it is sent",
            trigger: ".o_pass_remittance_row .o_pass_remittance_state:contains('Transmis')",
        },
        {
            content: "Status, amount and PDF of every slip are inside the screen",
            trigger: ".o_pass_remittance_list .o_pass_remittance_row",
            run() {
                const rows = document.querySelectorAll(".o_pass_remittance_row");
                for (const row of rows) {
                    const name = row.querySelector(".o_pass_stack_title").innerText;
                    assertFullWidthCard(row, name);
                    assertInViewport(
                        row.querySelector(".o_pass_remittance_state .badge"),
                        `${name}: status`
                    );
                    assertInViewport(
                        row.querySelector("td[label='Montant'] span"),
                        `${name}: amount`
                    );
                    assertInViewport(
                        row.querySelector(".o_pass_remittance_pdf a"),
                        `${name}: PDF link`
                    );
                    if (!row.innerText.includes("€")) {
                        throw new Error(`${name}: no amount in euros.`);
                    }
                }
            },
        },
        {
            content: "Open the validated slip",
            trigger:
                ".o_pass_remittance_row:has(.o_pass_remittance_state:contains('Réglé')) .o_pass_stack_title a",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The slip's page lists its three passes",
            trigger: ".o_pass_remittance_passes tbody tr",
            run() {
                const rows = document.querySelectorAll(".o_pass_remittance_passes tbody tr");
                if (rows.length !== 3) {
                    throw new Error(`${rows.length} passes listed instead of 3.`);
                }
            },
        },
        {
            content: "Status, download button and each pass's value are inside the screen",
            trigger: "#pass_remittance_download",
            run() {
                assertInViewport(
                    document.querySelector("h3 .badge"),
                    "slip status"
                );
                assertInViewport(
                    document.querySelector("#pass_remittance_download"),
                    "PDF download"
                );
                const rows = document.querySelectorAll(".o_pass_remittance_passes tbody tr");
                for (const row of rows) {
                    const code = row.querySelector(".o_pass_stack_title").innerText;
                    assertFullWidthCard(row, `pass ${code}`);
                    assertInViewport(
                        row.querySelector("td[label='Valeur'] span"),
                        `pass ${code}: value`
                    );
                    assertInViewport(
                        row.querySelector("td[label='Encaissé le'] span"),
                        `pass ${code}: redemption date`
                    );
                }
            },
        },
    ],
});
