# GPU side of the build.
#
# CONVNET_CUDA=AUTO|ON|OFF decides whether nvcc builds the real CUDA backend.
# The SAME kernel sources are also compiled by the host C++ compiler against
# kernels/simt/cuda_compat.h (convnet_cuda_emu), so every kernel is tested on
# machines without a GPU. The emulated build needs the CUDA toolkit's headers
# (Thrust/CCCL) and Boost.Context, not nvcc or a device.
set(CONVNET_HAVE_CUDA 0)
set(CONVNET_HAVE_CUDNN 0)
set(CONVNET_HAVE_SIMT 0)

if(NOT CONVNET_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_ARCHITECTURES ${CONVNET_CUDA_ARCHITECTURES})
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(CONVNET_HAVE_CUDA 1)
  elseif(CONVNET_CUDA STREQUAL "ON")
    message(FATAL_ERROR "CONVNET_CUDA=ON but no CUDA compiler (nvcc) was found. "
                        "Install the CUDA toolkit or configure with -DCONVNET_CUDA=OFF.")
  endif()
endif()

if(CONVNET_HAVE_CUDA)
  message(STATUS "convnet: CUDA backend ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, sm_${CONVNET_CUDA_ARCHITECTURES})")
else()
  message(STATUS "convnet: CUDA backend OFF -- this is a CPU-only build (no nvcc, or CONVNET_CUDA=OFF)")
endif()

# cuDNN: headers and library, from the CUDA tree or CUDNN_ROOT.
if(CONVNET_HAVE_CUDA AND NOT CONVNET_CUDNN STREQUAL "OFF")
  set(_cudnn_hints $ENV{CUDNN_ROOT} ${CUDNN_ROOT} ${CUDAToolkit_LIBRARY_ROOT})
  find_path(CONVNET_CUDNN_INCLUDE cudnn.h HINTS ${_cudnn_hints} ${CUDAToolkit_INCLUDE_DIRS}
            PATH_SUFFIXES include)
  # libcudnn.so.9: PyTorch's nvidia-cudnn wheels ship only the versioned name.
  # NAMES_PER_DIR: a directory earlier in the hints wins whichever name it has.
  find_library(CONVNET_CUDNN_LIB NAMES cudnn libcudnn.so.9 NAMES_PER_DIR
               HINTS ${_cudnn_hints} ${CUDAToolkit_LIBRARY_DIR} PATH_SUFFIXES lib lib64)
  set(_cudnn_ok FALSE)
  set(_cudnn_found "no cudnn.h / libcudnn")
  if(CONVNET_CUDNN_INCLUDE AND CONVNET_CUDNN_LIB AND EXISTS "${CONVNET_CUDNN_INCLUDE}/cudnn_version.h")
    file(STRINGS "${CONVNET_CUDNN_INCLUDE}/cudnn_version.h" _cudnn_major REGEX "#define CUDNN_MAJOR")
    string(REGEX MATCH "[0-9]+" _cudnn_major "${_cudnn_major}")
    set(_cudnn_found "found cuDNN ${_cudnn_major} headers in ${CONVNET_CUDNN_INCLUDE}")
    if(_cudnn_major EQUAL 9)
      set(_cudnn_ok TRUE)
    endif()
  endif()
  if(_cudnn_ok)
    set(CONVNET_HAVE_CUDNN 1)
    message(STATUS "convnet: cuDNN backend ON (cuDNN ${_cudnn_major}: ${CONVNET_CUDNN_INCLUDE}, ${CONVNET_CUDNN_LIB})")
  elseif(CONVNET_CUDNN STREQUAL "ON")
    message(FATAL_ERROR "CONVNET_CUDNN=ON but cuDNN 9 was not found (${_cudnn_found}; looked for cudnn.h and "
                        "libcudnn under CUDNN_ROOT and the CUDA toolkit). Set CUDNN_ROOT or use -DCONVNET_CUDNN=OFF.")
  else()
    message(STATUS "convnet: cuDNN backend OFF (cuDNN 9 not found: ${_cudnn_found})")
  endif()
elseif(CONVNET_CUDNN STREQUAL "ON")
  message(FATAL_ERROR "CONVNET_CUDNN=ON needs the CUDA backend (CONVNET_CUDA is OFF or nvcc is missing).")
else()
  message(STATUS "convnet: cuDNN backend OFF (CONVNET_CUDNN=OFF, or no CUDA backend)")
endif()

# The emulator needs Thrust's headers (CCCL) and Boost.Context.
find_package(CUDAToolkit QUIET)
find_path(CONVNET_THRUST_INCLUDE thrust/version.h
          HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include
          PATH_SUFFIXES cccl)
find_package(boost_context CONFIG QUIET)
if(CONVNET_EMULATION AND CONVNET_THRUST_INCLUDE AND boost_context_FOUND)
  set(CONVNET_HAVE_SIMT 1)
  message(STATUS "convnet: host SIMT emulation ON (kernels are tested without a GPU)")
else()
  message(STATUS "convnet: host SIMT emulation OFF (needs Thrust headers and libboost-context-dev)")
endif()

# Sources shared by the real and the emulated CUDA libraries.
file(GLOB CONVNET_KERNEL_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/*.cu)
file(GLOB CONVNET_CUDA_HOST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/host/cuda/*.cu)

function(convnet_add_gpu_libraries)
  if(CONVNET_HAVE_SIMT)
    file(GLOB _simt_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernels/simt/*.cpp)
  endif()
  if(CONVNET_HAVE_SIMT AND _simt_sources)
    add_library(convnet_simt STATIC ${_simt_sources})
    target_include_directories(convnet_simt PUBLIC ${CMAKE_SOURCE_DIR}/kernels ${CMAKE_SOURCE_DIR}/include)
    target_link_libraries(convnet_simt PUBLIC Boost::context Threads::Threads convnet::blas)
    target_compile_definitions(convnet_simt PUBLIC CONVNET_SIMT=1)

    # g++ compiles each .cu through a one-line wrapper (source file properties
    # are per directory, so the .cu itself cannot be CXX here and CUDA there).
    set(_emu_sources)
    foreach(_cu ${CONVNET_KERNEL_SOURCES} ${CONVNET_CUDA_HOST_SOURCES})
      file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${_cu})
      string(REPLACE "/" "_" _flat ${_rel})
      set(_wrapper ${CMAKE_BINARY_DIR}/simt_wrappers/${_flat}.cpp)
      file(CONFIGURE OUTPUT ${_wrapper} CONTENT "// generated: ${_rel} compiled for the host SIMT emulator\n#include \"${_cu}\"\n")
      list(APPEND _emu_sources ${_wrapper})
    endforeach()
    if(_emu_sources)
    add_library(convnet_cuda_emu STATIC ${_emu_sources})
    target_include_directories(convnet_cuda_emu PUBLIC ${CMAKE_SOURCE_DIR}/kernels)
    target_include_directories(convnet_cuda_emu SYSTEM PUBLIC ${CONVNET_THRUST_INCLUDE})
    target_compile_definitions(convnet_cuda_emu PUBLIC
      THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_CPP THRUST_HOST_SYSTEM=THRUST_HOST_SYSTEM_CPP)
    target_link_libraries(convnet_cuda_emu PUBLIC convnet_simt convnet_core)
    endif()
  endif()

  if(CONVNET_HAVE_CUDA AND CONVNET_KERNEL_SOURCES)
    add_library(convnet_cuda STATIC ${CONVNET_KERNEL_SOURCES} ${CONVNET_CUDA_HOST_SOURCES})
    target_include_directories(convnet_cuda PUBLIC ${CMAKE_SOURCE_DIR}/kernels)
    target_link_libraries(convnet_cuda PUBLIC convnet_core CUDA::cudart_static CUDA::cublas)
    set_target_properties(convnet_cuda PROPERTIES CUDA_SEPARABLE_COMPILATION OFF
                                                  POSITION_INDEPENDENT_CODE ON)
    target_compile_options(convnet_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall>)
  endif()

  if(CONVNET_HAVE_CUDNN)
    file(GLOB _cudnn_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/host/cudnn/*.cu ${CMAKE_SOURCE_DIR}/host/cudnn/*.cpp)
    if(_cudnn_sources)
      # Derives from the CUDA backend (host/cuda/cuda_backend_impl.h); nvcc only.
      add_library(convnet_cudnn STATIC ${_cudnn_sources})
      target_include_directories(convnet_cudnn PUBLIC ${CONVNET_CUDNN_INCLUDE}
                                 PRIVATE ${CMAKE_SOURCE_DIR}/host/cuda ${CMAKE_SOURCE_DIR}/host/cudnn)
      target_link_libraries(convnet_cudnn PUBLIC convnet_cuda ${CONVNET_CUDNN_LIB} ${CMAKE_DL_LIBS})
      set_target_properties(convnet_cudnn PROPERTIES CUDA_SEPARABLE_COMPILATION OFF
                                                     POSITION_INDEPENDENT_CODE ON)
      target_compile_options(convnet_cudnn PRIVATE
        $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall,-Wextra>
        $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)
    else()
      set(CONVNET_HAVE_CUDNN 0 PARENT_SCOPE)
    endif()
  endif()
endfunction()
