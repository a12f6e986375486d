# Every library Dictum links is found with pkg-config. A missing one stops
# the configure step and names the Debian package that provides it.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

set(DICTUM_DEP_TARGETS "")
set(DICTUM_MISSING "")

function(dictum_require module debian_package)
  string(MAKE_C_IDENTIFIER "${module}" id)
  pkg_check_modules(DEP_${id} QUIET IMPORTED_TARGET ${module})
  if(DEP_${id}_FOUND)
    # Some Debian .pc files name include folders that do not exist
    # (pocketsphinx lists /usr/include/sphinxbase); CMake rejects those.
    get_target_property(dirs PkgConfig::DEP_${id} INTERFACE_INCLUDE_DIRECTORIES)
    if(dirs)
      set(existing "")
      foreach(dir IN LISTS dirs)
        if(EXISTS "${dir}")
          list(APPEND existing "${dir}")
        endif()
      endforeach()
      set_target_properties(PkgConfig::DEP_${id} PROPERTIES
                            INTERFACE_INCLUDE_DIRECTORIES "${existing}")
    endif()
    set(DICTUM_DEP_TARGETS ${DICTUM_DEP_TARGETS} PkgConfig::DEP_${id} PARENT_SCOPE)
  else()
    set(DICTUM_MISSING ${DICTUM_MISSING} "${module} (apt-get install ${debian_package})"
        PARENT_SCOPE)
  endif()
endfunction()

dictum_require(ncursesw        libncurses-dev)
dictum_require(alsa            libasound2-dev)
dictum_require(libpulse-simple libpulse-dev)
dictum_require(libpulse        libpulse-dev)
dictum_require(samplerate      libsamplerate0-dev)
dictum_require(sndfile         libsndfile1-dev)
dictum_require(libmpg123       libmpg123-dev)
dictum_require(libavformat     libavformat-dev)
dictum_require(libavcodec      libavcodec-dev)
dictum_require(libavutil       libavutil-dev)
dictum_require(libswresample   libswresample-dev)
dictum_require(libcurl         libcurl4-openssl-dev)
dictum_require(json-c          libjson-c-dev)
dictum_require(libcrypto       libssl-dev)
dictum_require(zlib            zlib1g-dev)
dictum_require(sqlite3         libsqlite3-dev)
dictum_require(pocketsphinx    libpocketsphinx-dev)
dictum_require(sphinxbase      libsphinxbase-dev)
dictum_require(libmicrohttpd   libmicrohttpd-dev)

if(DICTUM_MISSING)
  list(JOIN DICTUM_MISSING "\n  " missing_text)
  message(FATAL_ERROR "Missing libraries:\n  ${missing_text}\n"
          "Run scripts/install-deps.sh to install them all.")
endif()

# The store's full-text search needs SQLite built with FTS5.
include(CheckCSourceRuns)
set(CMAKE_REQUIRED_LIBRARIES PkgConfig::DEP_sqlite3)
check_c_source_runs("
#include <sqlite3.h>
int main(void) { return sqlite3_compileoption_used(\"ENABLE_FTS5\") ? 0 : 1; }
" DICTUM_SQLITE_HAS_FTS5)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT DICTUM_SQLITE_HAS_FTS5)
  message(FATAL_ERROR "SQLite lacks FTS5: install Debian's libsqlite3-dev (3.40 has it).")
endif()
