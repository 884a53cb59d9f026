"""The one report class: :class:`SessionReport`, the data of one session with every section, and the calls the
report notebook makes (``report.show(section)``) or a preview makes without a kernel (``report.html()``)."""

from __future__ import annotations

from dataclasses import dataclass

from liveboard.report.markup import page
from liveboard.report.options import SECTIONS
from liveboard.report.overview import OverviewSections
from liveboard.report.sections import DetailSections
from liveboard.report.takeaways import TakeawaysSection
from liveboard.report.trends import TrendSections
from liveboard.workbench import InputError


@dataclass
class SessionReport(OverviewSections, TakeawaysSection, TrendSections, DetailSections):
    """The data of one report, loaded once; each section method returns an HTML string (from the templates of
    ``liveboard/templates/report/``)."""

    _METHODS = {
        "channels": "channels_section",
        "products": "products_section",
        "giveaways": "giveaways_section",
        "violations": "violations_section",
        "comments": "comments_section",
        "audience": "audience_section",
    }

    def section(self, name: str) -> str:
        if name not in SECTIONS:
            raise InputError(f"unknown report section {name!r} (one of {', '.join(SECTIONS)})")
        return getattr(self, self._METHODS.get(name, name))()

    def show(self, *names: str) -> None:
        """Display sections (all when none named) in a notebook, as HTML outputs."""
        from IPython.display import HTML, display

        for name in names or SECTIONS:
            display(HTML(self.section(name)))

    def html(self) -> str:
        """The whole report as one standalone page, without a kernel (used by tests and previews)."""
        return page(self.title, "".join(self.section(n) for n in SECTIONS))
