# Host dependencies, all from Debian: OpenBLAS (GEMM), zlib (.gz IDX files),
# OpenMP (threads), GoogleTest, Boost.Context (the SIMT emulator's fibers).
# With CONVNET_STATIC the non-system libraries are linked statically so a
# build can be carried to a machine that lacks them (the GPU check machine).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)
find_package(ZLIB REQUIRED)

find_path(CONVNET_CBLAS_INCLUDE cblas.h
          PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas
          NO_DEFAULT_PATH)
find_path(CONVNET_CBLAS_INCLUDE cblas.h)
if(CONVNET_STATIC)
  set(_blas_names libopenblas.a openblas)
else()
  set(_blas_names openblas)
endif()
find_library(CONVNET_OPENBLAS_LIB NAMES ${_blas_names}
             PATHS /usr/lib/x86_64-linux-gnu/openblas-pthread NO_DEFAULT_PATH)
find_library(CONVNET_OPENBLAS_LIB NAMES ${_blas_names})
if(NOT CONVNET_CBLAS_INCLUDE OR NOT CONVNET_OPENBLAS_LIB)
  message(FATAL_ERROR "OpenBLAS not found. On Debian: apt-get install libopenblas-dev")
endif()
add_library(convnet_blas INTERFACE)
add_library(convnet::blas ALIAS convnet_blas)
target_include_directories(convnet_blas INTERFACE ${CONVNET_CBLAS_INCLUDE})
target_link_libraries(convnet_blas INTERFACE ${CONVNET_OPENBLAS_LIB})
if(CONVNET_OPENBLAS_LIB MATCHES "\\.a$")
  # Debian's static OpenBLAS carries LAPACK compiled from Fortran.
  find_library(CONVNET_GFORTRAN_LIB NAMES libgfortran.so.5 gfortran)
  target_link_libraries(convnet_blas INTERFACE Threads::Threads m)
  if(CONVNET_GFORTRAN_LIB)
    target_link_libraries(convnet_blas INTERFACE ${CONVNET_GFORTRAN_LIB})
  endif()
endif()
message(STATUS "convnet: BLAS ${CONVNET_OPENBLAS_LIB}")

if(CONVNET_TESTS)
  find_package(GTest REQUIRED)
endif()
