/** @odoo-module **/
// The analyses (pass.report, pass.funder.report) read a materialized view
// refreshed every hour: their pivots and graphs say how old the figures are
// ("Données au 12/03/2026 14:05") and let Pass staff refresh them now.
import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { graphView } from "@web/views/graph/graph_view";
import { GraphRenderer } from "@web/views/graph/graph_renderer";
import { pivotView } from "@web/views/pivot/pivot_view";
import { PivotRenderer } from "@web/views/pivot/pivot_renderer";

export class PassReportFreshness extends Component {
    static template = "pass_numerique.PassReportFreshness";
    static props = { resModel: String };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ label: "", canRefresh: false, busy: false });
        onWillStart(() => this.load());
    }

    async load() {
        const info = await this.orm.call(this.props.resModel, "get_freshness", []);
        this.state.label = info.label;
        this.state.canRefresh = info.can_refresh;
    }

    async onRefresh() {
        this.state.busy = true;
        try {
            const info = await this.orm.call(this.props.resModel, "action_refresh_analysis", []);
            this.state.label = info.label;
            await this.action.doAction("soft_reload");
        } finally {
            this.state.busy = false;
        }
    }
}

export class PassReportPivotRenderer extends PivotRenderer {
    static components = { ...PivotRenderer.components, PassReportFreshness };
}

export class PassReportGraphRenderer extends GraphRenderer {
    static components = { ...GraphRenderer.components, PassReportFreshness };
}

registry.category("views").add("pass_report_pivot", {
    ...pivotView,
    Renderer: PassReportPivotRenderer,
    buttonTemplate: "pass_numerique.PassReportPivot.Buttons",
});

registry.category("views").add("pass_report_graph", {
    ...graphView,
    Renderer: PassReportGraphRenderer,
    buttonTemplate: "pass_numerique.PassReportGraph.Buttons",
});
