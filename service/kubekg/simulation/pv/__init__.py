"""PersistentVolumes and claims: the binder index, the PV controller's syncs and reclaim, and timed scenarios."""
