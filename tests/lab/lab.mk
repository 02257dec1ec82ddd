# The QEMU lab's packages (make deps).
DEB_DEPS += bc
DEB_DEPS += flex bison libelf-dev
