"""experiments: torch implementations (kernels, NTKs, influence, checks, data) and the
runnable experiment modules that write the report.  Library modules never import the
runnable modules or the report."""
