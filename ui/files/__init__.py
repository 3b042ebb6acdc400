"""File features of the window: autosave and recovery (recovery), exports (exports),
profile import, editing and the snapshot check (profiles), safe writes (targets)."""
