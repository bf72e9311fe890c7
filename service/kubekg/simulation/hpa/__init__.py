"""The Horizontal Pod Autoscaler: replica calculator, one reconcile, and timelines over hours of syncs."""
