"""Post-LIVE reports: one papermill-run notebook per session, exported as a standalone HTML page with no code.

Two halves live here:

* :class:`SessionReport` — everything the report notebook (``notebooks/session_report.ipynb``) shows. The
  notebook is a parameters cell and one ``report.show(section)`` call per section; each section is HTML built
  from the metrics layer (:mod:`liveboard.workbench`), the seed's rules (:mod:`liveboard.insights`) and static
  SVG charts (:mod:`liveboard.report.charts`) so that it reads offline, without a browser front end for
  bqplot. The HTML comes from templates (``liveboard/templates/report/``) and the shared components of
  :mod:`liveboard.markup`, which escape all user text (titles, product names, comments, prizes); the one
  stylesheet is :func:`liveboard.markup.stylesheet`.
* running it: :func:`render_report` (papermill → nbconvert ``HTMLExporter`` without inputs or prompts →
  atomic writes), :func:`run_batch` (a pool of worker processes, a tqdm bar, failures collected instead of
  stopping the batch) and :func:`write_index`. ``liveboard report`` and the dashboards'
  :func:`liveboard.pages.reports.generate_report` call these.

Parameters are validated in Python before any notebook runs (:func:`check_options`, :func:`select_sessions`).
They end up in the executed notebook's metadata, so they never hold secrets: a session id, a store path,
display options.

The modules, by concern: :mod:`~liveboard.report.options` (options, sections, which sessions),
:mod:`~liveboard.report.data` (one report's data and figures), the sections (:mod:`~liveboard.report.overview`,
:mod:`~liveboard.report.takeaways`, :mod:`~liveboard.report.trends`, :mod:`~liveboard.report.sections`, put
together in :mod:`~liveboard.report.session_report`), :mod:`~liveboard.report.comments` (words and emoji),
:mod:`~liveboard.report.markup` (templates, tables, the page), :mod:`~liveboard.report.charts` (static SVG),
:mod:`~liveboard.report.files` (names, side files, the index), :mod:`~liveboard.report.render` (one report),
:mod:`~liveboard.report.kernels` and :mod:`~liveboard.report.batch` (many). Every name is importable from here.

The names of ``__init__.pyi`` are imported on first use (``lazy_loader``, SPEC 1): the report's kernel can be
started (:func:`~liveboard.report.kernels.kernel_started`) before pandas, DuckDB and the store are loaded.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
