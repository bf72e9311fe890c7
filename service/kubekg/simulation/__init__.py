"""What-if simulations of Kubernetes controllers (HPA, PV/PVC, DaemonSet, Job, CronJob, Deployment, NodePort).

Pure functions of their inputs (``now`` is always passed in); the knowledge graph supplies the facts they
depend on through :mod:`kubekg.simulation.facts`. No Flask here: the web layer is ``kubekg.web.simulate``.
"""
