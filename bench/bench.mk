# Benchmarks (make bench): tools they need.
DEB_DEPS += hwloc-nox bc
