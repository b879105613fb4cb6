# Lets charla's find_package(msgpack CONFIG) and its target msgpackc-cxx (msgpack-c 4.x and
# 5.x, as on Debian 12) work with msgpack-c 6.x, which renamed both to msgpack-cxx (as on
# Ubuntu 24.04). The play passes -Dmsgpack_DIR=<this directory> only where 6.x is installed.
include(CMakeFindDependencyMacro)
find_dependency(msgpack-cxx CONFIG)
if(NOT TARGET msgpackc-cxx)
  add_library(msgpackc-cxx INTERFACE IMPORTED)
  target_link_libraries(msgpackc-cxx INTERFACE msgpack-cxx)
endif()
set(msgpack_VERSION ${msgpack-cxx_VERSION})
