# check_layers.cmake — refuses an #include that points against the layers.
#   cmake -DRZ_SOURCE_DIR=<tree> [-DRZ_STAMP=<file>] -P check_layers.cmake
# For every .c/.h/.def in each layer folder of the tree, an include of
# another layer's header ("../cpu/cpu.h" or "cpu/cpu.h") must be an allowed
# edge of cmake/layers.cmake.  Prints each back edge with the file and line
# and fails; known back edges are printed as such; a known edge that no
# longer occurs fails too (remove it from the table).  Writes RZ_STAMP on
# success (the build's rule for re-running only when sources change).
cmake_minimum_required(VERSION 3.18)
include(${CMAKE_CURRENT_LIST_DIR}/layers.cmake)
# tests/unit/layers_check.cmake tries the known-edge rules on its own trees
# with a list of its own; the build never sets this.
if(DEFINED RZ_TEST_KNOWN_BACK_EDGES)
  set(RZ_KNOWN_BACK_EDGES ${RZ_TEST_KNOWN_BACK_EDGES})
endif()

if(NOT RZ_SOURCE_DIR)
  message(FATAL_ERROR "check_layers: RZ_SOURCE_DIR not set")
endif()

set(errors "")
set(seen_known "")
foreach(from ${RZ_LAYERS})
  file(GLOB files ${RZ_SOURCE_DIR}/${from}/*.c ${RZ_SOURCE_DIR}/${from}/*.h
       ${RZ_SOURCE_DIR}/${from}/*.def ${RZ_SOURCE_DIR}/${from}/*/*.def)
  foreach(f ${files})
    file(RELATIVE_PATH rel ${RZ_SOURCE_DIR} ${f})
    file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line ${lines})
      # Resolved as the compiler does: next to the including file first,
      # then from the source root (the include directory every library
      # exports).  The layer is the first folder of the resolved path.
      if(NOT line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
        continue()
      endif()
      set(inc ${CMAKE_MATCH_1})
      get_filename_component(dir ${f} DIRECTORY)
      if(EXISTS ${dir}/${inc})
        get_filename_component(target ${dir}/${inc} ABSOLUTE)
      elseif(EXISTS ${RZ_SOURCE_DIR}/${inc})
        get_filename_component(target ${RZ_SOURCE_DIR}/${inc} ABSOLUTE)
      else()
        continue()  # not in the tree (it would not compile either)
      endif()
      file(RELATIVE_PATH trel ${RZ_SOURCE_DIR} ${target})
      if(NOT trel MATCHES "^([A-Za-z0-9_]+)/")
        set(to ".")  # a file at the root, or outside the tree
      else()
        set(to ${CMAKE_MATCH_1})
      endif()
      if(to STREQUAL from)
        continue()
      endif()
      list(FIND RZ_LAYERS ${to} is_layer)
      list(FIND RZ_DEPS_${from} ${to} allowed)
      list(FIND RZ_KNOWN_BACK_EDGES "${from}>${to}" known)
      string(STRIP "${line}" line)
      if(is_layer LESS 0)
        string(APPEND errors "  ${rel}: ${line}: ${trel} is outside the layer folders\n")
      elseif(allowed GREATER_EQUAL 0)
        continue()
      elseif(known GREATER_EQUAL 0)
        list(APPEND seen_known "${from}>${to}")
        message(STATUS "layers: known back edge ${from} -> ${to}: ${rel}: ${line}")
      else()
        string(REPLACE ";" " " ok "${RZ_DEPS_${from}}")
        if(ok STREQUAL "")
          set(ok "none")
        endif()
        string(APPEND errors
          "  ${rel}: ${line}: ${from} -> ${to} is a back edge (${from} may use: ${ok})\n")
      endif()
    endforeach()
  endforeach()
endforeach()

foreach(edge ${RZ_KNOWN_BACK_EDGES})
  list(FIND seen_known ${edge} found)
  if(found LESS 0)
    string(REPLACE ">" " -> " e "${edge}")
    string(APPEND errors
      "  the known back edge ${e} no longer exists: remove it from RZ_KNOWN_BACK_EDGES (cmake/layers.cmake)\n")
  endif()
endforeach()

if(errors)
  message(FATAL_ERROR "layering violated (cmake/layers.cmake, docs/architecture.md):\n${errors}")
endif()
if(RZ_STAMP)
  file(TOUCH ${RZ_STAMP})
endif()
