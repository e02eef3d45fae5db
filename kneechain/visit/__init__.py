"""A visit (several clips of one patient on one day, weighed together) and the progress between visits.

The visit and progress layer reads SAVED analysis folders (``metrics.json``, ``movement.json``,
``summary.json``, ``session.json``) and never recomputes a metric; a clip without a folder is analysed
first with ``kneechain.api.analyze_video``. Pure rules: ``combine`` (the visit's call per knee, the tests
done and missing) and ``change`` (a change between visits against the smallest detectable difference);
reading and writing: ``saved`` and ``build``; pages: ``render`` with the templates in ``templates/``.
"""
