# Helpers that give every Ferry target the same warnings, sanitizers and layout.

function(ferry_apply_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(FERRY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(FERRY_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# ferry_library(NAME DIR [DEPS ...]): one static library from the .cc files directly in DIR.
function(ferry_library name dir)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.cc)
  if(NOT sources)  # a folder whose code is still to come
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${CMAKE_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARGN})
    return()
  endif()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARGN})
  ferry_apply_flags(${name})
endfunction()

# ferry_test(NAME DIR [DEPS ...]): one GoogleTest binary from DIR/*_test.cc, registered with CTest.
function(ferry_test name dir)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(${name} ${sources})
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest GTest::gtest_main GTest::gmock)
  ferry_apply_flags(${name})
  # One variable only: a ';' in ENVIRONMENT would split the property list. The source root
  # reaches the tests as the compile definition FERRY_SOURCE_ROOT (tests/support).
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "FERRY_BIN=$<TARGET_FILE:ferry>")
endfunction()
