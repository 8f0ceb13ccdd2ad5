"""The base layers: buildings and base features (roads, rivers, water, green space).

The same split as the component catalog: ``models``, ``inputs`` (parsing GeoJSON into
checked input), ``representation`` (GeoJSON out, history snapshots), ``services`` (the
versioned edits, through ``gis_app.editing``), ``policies`` (who sees and edits), ``api``
(thin views) and ``demo``. The models belong to the ``layers`` app.
"""
