"""Hardening tools (issue 6): the long forms of the hardening tests as commands, e.g. ``kubekg soak``."""
