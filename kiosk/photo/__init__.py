"""The ID photo pipeline: the spec table, per-frame analysis with the citizen's
hints, auto-capture, final processing to a spec-exact JPEG, the print sheet and the
receipt number. Qt-free: the touchscreen shows what this decides."""
