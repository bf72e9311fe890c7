"""The SPARQL 1.1 Protocol as a domain package (no Flask): request rules, negotiation, guarded execution, updates.

The web blueprint (``kubekg.web.sparql``) only moves bytes between HTTP and these modules:
``protocol`` (which parameters and bodies make a request), ``negotiate`` (Accept and ``format`` -> media type),
``guard`` (SERVICE/LOAD allow-list and IRI host classification), ``execute`` (dataset, deadline, row cap,
serialization), ``update`` (durable, guarded SPARQL Update) and ``description`` (the W3C service description).
"""
