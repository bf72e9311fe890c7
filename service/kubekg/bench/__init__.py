"""``kubekg bench``: kubekg side by side with Oxigraph server and rdflib-endpoint on the same data (issue 7).

Modules: ``workload`` (the catalogue queries with realistic bindings, the public questions), ``servers`` (start
kubekg, Oxigraph server and rdflib-endpoint on loopback), ``load`` (wrk or a multi-process Python client),
``inprocess`` (per-question and per-query timings, cold start, load and reasoning, memory), ``synthetic``
(synthetic cluster state from thousands to a million triples), ``scaling`` and ``report`` (table and JSON).
"""
