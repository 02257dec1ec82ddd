# The QEMU lab's packages (make deps).
DEB_DEPS += bc
