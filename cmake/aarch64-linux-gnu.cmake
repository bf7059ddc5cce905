# Cross build for arm64 Linux on a Debian x86-64 host (`make test-arm64`).
#
# Compiler: gcc-aarch64-linux-gnu. Libraries: the arm64 multiarch packages of Unicorn,
# Capstone and cmocka in /usr/lib/aarch64-linux-gnu (scripts/install-deps.sh --arm64).
# Test programs run under qemu-aarch64 (user mode); ctest prepends the emulator.
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(VTSIM_CROSS_TRIPLE aarch64-linux-gnu)
find_program(VTSIM_CROSS_CC ${VTSIM_CROSS_TRIPLE}-gcc)
if(NOT VTSIM_CROSS_CC)
  message(FATAL_ERROR "${VTSIM_CROSS_TRIPLE}-gcc not found: "
    "run `bash scripts/install-deps.sh --arm64` (package gcc-aarch64-linux-gnu).")
endif()
set(CMAKE_C_COMPILER ${VTSIM_CROSS_CC})

# pkg-config must see only the arm64 .pc files (plus the architecture-independent ones).
# The toolchain file is read again whenever CMake re-runs, so this holds for re-configures
# triggered by the build as well.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${VTSIM_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Multiarch: arm64 libraries live in /usr/lib/aarch64-linux-gnu of this very root, which
# the cross gcc and ld already search. Programs (nasm, bash) are the host's.
set(CMAKE_LIBRARY_ARCHITECTURE ${VTSIM_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# qemu-aarch64 -L ROOT: ROOT must hold the arm64 dynamic loader as
# ROOT/lib/ld-linux-aarch64.so.1. On a multiarch Debian (libc6:arm64) that is "/".
find_program(VTSIM_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(NOT VTSIM_QEMU_AARCH64)
  message(FATAL_ERROR "qemu-aarch64 not found: "
    "run `bash scripts/install-deps.sh --arm64` (package qemu-user).")
endif()
set(VTSIM_QEMU_LD_PREFIX / CACHE PATH "qemu-aarch64 -L: root holding lib/ld-linux-aarch64.so.1")
if(NOT EXISTS ${VTSIM_QEMU_LD_PREFIX}/lib/ld-linux-aarch64.so.1)
  message(FATAL_ERROR "${VTSIM_QEMU_LD_PREFIX}/lib/ld-linux-aarch64.so.1 is missing: "
    "install libc6:arm64 (scripts/install-deps.sh --arm64) or set VTSIM_QEMU_LD_PREFIX.")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${VTSIM_QEMU_AARCH64} -L ${VTSIM_QEMU_LD_PREFIX})
