/** @odoo-module **/
/* Public list of venues (/pass/lieux/...): the filters apply as soon as a
 * choice changes, and the services of each venue are unfolded on wide screens
 * (folded on phones, where 20 services a venue make a wall of text). The page
 * works without this script: a "Filtrer" button, folded services. */
import publicWidget from "@web/legacy/js/public/public_widget";

const WIDE = "(min-width: 768px)";

publicWidget.registry.PassPublicVenues = publicWidget.Widget.extend({
    selector: ".o_pass_public_venues",
    events: {
        "change .o_pass_public_filter select": "_onFilterChange",
    },

    start() {
        if (window.matchMedia && window.matchMedia(WIDE).matches) {
            for (const details of this.el.querySelectorAll(".o_pass_public_services")) {
                details.open = true;
            }
        }
        return this._super(...arguments);
    },

    _onFilterChange(ev) {
        ev.currentTarget.form.requestSubmit();
    },
});

export default publicWidget.registry.PassPublicVenues;
