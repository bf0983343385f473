/** @odoo-module **/
/* Funder dashboard in the portal: figures written the French way, "44,4 %"
 * with a decimal comma and a no-break space, never "44.4 %" nor "0.0 j".
 * Run by tests/test_tour_remittances.py (TestTourFunderDashboard) on the
 * reporting fixture: 8 of the 18 passes handed out were used. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("pass_funder_dashboard_tour", {
    url: "/my/pass-funding",
    steps: () => [
        {
            content: "The dashboard shows the used passes",
            trigger: ".o_pass_kpi_used",
        },
        {
            content: "Percentages and durations are written in French",
            trigger: ".o_pass_kpi_used",
            run() {
                // Text nodes keep the no-break spaces that innerText may not.
                const root = document.querySelector("main") || document.body;
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                let text = "";
                while (walker.nextNode()) {
                    const parent = walker.currentNode.parentElement;
                    if (!parent.closest("script, style, template")) {
                        text += walker.currentNode.nodeValue;
                    }
                }
                if (!text.includes("44,4\u00a0%")) {
                    throw new Error("The redemption rate is not written 44,4 %.");
                }
                const english = text.match(/\d\.\d+\s*(%|j\b)/);
                if (english) {
                    throw new Error(`English decimal on the dashboard: "${english[0]}"`);
                }
                for (const percent of text.match(/\d[\d,]*\s*%/g) || []) {
                    if (!/^\d+(,\d+)?\u00a0%$/.test(percent)) {
                        throw new Error(`"${percent}": no no-break space before %.`);
                    }
                }
            },
        },
    ],
});
