"""kubekg: a knowledge graph of a Korean Kubernetes overview, with reasoning, SPARQL, QA and simulation."""

__version__ = "0.1.0"
