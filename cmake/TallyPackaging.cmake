# Installation and Debian packages (`cpack -G DEB` in the build directory,
# or the `package` target): tally-common (reference data, the tally user,
# tally.ini(5)), tally-hub and tally-node (each binary, its systemd unit,
# its sample configuration as a conffile and its man page). Dependencies
# on Debian's libraries come from dpkg-shlibdeps.

set(TALLY_PKG_DIR ${CMAKE_SOURCE_DIR}/packaging)
set(TALLY_DEB_RELEASE 1)

# Man pages, made from docs/man/*.scd by scdoc and compressed as Debian
# wants them (gzip -9n: no name or time stamp, so the build is
# reproducible).
option(TALLY_MAN "Build the man pages with scdoc" ON)
set(tally_man_pages "")
if(TALLY_MAN)
  find_program(SCDOC scdoc REQUIRED)
  find_program(GZIP gzip REQUIRED)
  foreach(page tally-hub.1 tally-node.1 tally.ini.5)
    set(src ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd)
    set(out ${CMAKE_BINARY_DIR}/man/${page}.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND sh -c "${SCDOC} < '${src}' | ${GZIP} -9n > '${out}'"
      DEPENDS ${src}
      COMMENT "scdoc ${page}"
      VERBATIM)
    list(APPEND tally_man_pages ${out})
  endforeach()
  add_custom_target(man ALL DEPENDS ${tally_man_pages})
  install(FILES ${CMAKE_BINARY_DIR}/man/tally-hub.1.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT hub)
  install(FILES ${CMAKE_BINARY_DIR}/man/tally-node.1.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT node)
  install(FILES ${CMAKE_BINARY_DIR}/man/tally.ini.5.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man5 COMPONENT common)
endif()

# Debian's changelog, compressed the same way, one per package.
set(tally_changelog ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz)
add_custom_command(OUTPUT ${tally_changelog}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND sh -c "gzip -9n < '${TALLY_PKG_DIR}/debian/changelog' > '${tally_changelog}'"
  DEPENDS ${TALLY_PKG_DIR}/debian/changelog
  VERBATIM)
add_custom_target(deb_changelog ALL DEPENDS ${tally_changelog})

# System paths are absolute whatever the prefix: the units go where
# systemd looks for a package's units, the samples to /etc/tally.
set(TALLY_UNIT_DIR /lib/systemd/system)
set(TALLY_ETC_DIR /etc/tally)
set(TALLY_SYSUSERS_DIR /usr/lib/sysusers.d)

install(FILES ${TALLY_PKG_DIR}/systemd/tally-hub@.service
  DESTINATION ${TALLY_UNIT_DIR} COMPONENT hub)
install(FILES ${TALLY_PKG_DIR}/systemd/tally-node@.service
  DESTINATION ${TALLY_UNIT_DIR} COMPONENT node)
install(FILES ${TALLY_PKG_DIR}/systemd/tally.sysusers
  DESTINATION ${TALLY_SYSUSERS_DIR} RENAME tally.conf COMPONENT common)
set(tally_hub_samples hub-province.ini hub-city.ini hub-compare.ini)
set(tally_node_samples node-county.ini)
foreach(f ${tally_hub_samples})
  install(FILES ${TALLY_PKG_DIR}/etc/${f} DESTINATION ${TALLY_ETC_DIR}
    COMPONENT hub)
endforeach()
foreach(f ${tally_node_samples})
  install(FILES ${TALLY_PKG_DIR}/etc/${f} DESTINATION ${TALLY_ETC_DIR}
    COMPONENT node)
endforeach()

foreach(comp common hub node)
  install(FILES ${TALLY_PKG_DIR}/debian/copyright ${tally_changelog}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tally-${comp} COMPONENT ${comp})
endforeach()
# The packages are not uploads to Debian's archive: there is no ITP bug
# for their first changelog entry to close.
foreach(comp common hub node)
  file(WRITE ${CMAKE_BINARY_DIR}/packaging/lintian-${comp}
    "tally-${comp}: initial-upload-closes-no-bugs\n")
  install(FILES ${CMAKE_BINARY_DIR}/packaging/lintian-${comp}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
    RENAME tally-${comp} COMPONENT ${comp})
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/docs/operations.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tally-common COMPONENT common)

# Maintainer scripts and conffiles, made per package from the templates
# in packaging/debian.
set(tally_ctl ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${tally_ctl}/common ${tally_ctl}/hub ${tally_ctl}/node)
file(COPY ${TALLY_PKG_DIR}/debian/common.postinst DESTINATION ${tally_ctl}/common
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
  GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(RENAME ${tally_ctl}/common/common.postinst ${tally_ctl}/common/postinst)
foreach(comp hub node)
  set(PKG tally-${comp})
  set(UNIT tally-${comp})
  foreach(script postinst prerm postrm)
    file(READ ${TALLY_PKG_DIR}/debian/service.${script} text)
    string(REPLACE "@PKG@" "${PKG}" text "${text}")
    string(REPLACE "@UNIT@" "${UNIT}" text "${text}")
    file(WRITE ${tally_ctl}/${comp}/${script}.in "${text}")
    file(COPY ${tally_ctl}/${comp}/${script}.in DESTINATION ${tally_ctl}/${comp}/x
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
      GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    file(RENAME ${tally_ctl}/${comp}/x/${script}.in ${tally_ctl}/${comp}/${script})
  endforeach()
  set(conf "")
  foreach(f ${tally_${comp}_samples})
    string(APPEND conf "${TALLY_ETC_DIR}/${f}\n")
  endforeach()
  file(WRITE ${tally_ctl}/${comp}/conffiles "${conf}")
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tally)
set(CPACK_PACKAGE_VENDOR "Tally maintainers")
set(CPACK_PACKAGE_CONTACT
  "Tally maintainers <maintainers@users.noreply.h-seed-f819749b.example>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL common hub node)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${TALLY_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://tally.invalid/")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(tally_deb_version "${PROJECT_VERSION}-${TALLY_DEB_RELEASE}")

set(CPACK_DEBIAN_COMMON_PACKAGE_NAME tally-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_COMMON_PACKAGE_SHLIBDEPS OFF)
set(CPACK_COMPONENT_COMMON_DESCRIPTION
  "quality-programme rollups: reference data and the tally user
Tally adds up the numeric targets of quality programmes from counties to
cities to provinces. This package holds what the hub and the node share:
the divisions, indicators and targets in /usr/share/tally, the tally
system user the services run as, tally.ini(5) and the operations guide.")
set(CPACK_DEBIAN_COMMON_PACKAGE_CONTROL_EXTRA ${tally_ctl}/common/postinst)

set(CPACK_DEBIAN_HUB_PACKAGE_NAME tally-hub)
set(CPACK_DEBIAN_HUB_PACKAGE_DEPENDS
  "tally-common (= ${tally_deb_version}), init-system-helpers (>= 1.52)")
set(CPACK_COMPONENT_HUB_DESCRIPTION
  "quality-programme rollups: the hub of a city or province
A Tally hub receives its children's signed partial rollups over NNG,
merges them exactly in SQLite, forwards its region's rollup to its
parent hub and serves reports and a read-only dashboard. Runs as
tally-hub@NAME.service with /etc/tally/hub-NAME.ini.")
set(CPACK_DEBIAN_HUB_PACKAGE_CONTROL_EXTRA
  "${tally_ctl}/hub/postinst;${tally_ctl}/hub/prerm;${tally_ctl}/hub/postrm;${tally_ctl}/hub/conffiles")

set(CPACK_DEBIAN_NODE_PACKAGE_NAME tally-node)
set(CPACK_DEBIAN_NODE_PACKAGE_DEPENDS
  "tally-common (= ${tally_deb_version}), init-system-helpers (>= 1.52)")
set(CPACK_COMPONENT_NODE_DESCRIPTION
  "quality-programme rollups: the county node
A Tally node keeps a county's observations in a local SQLite store and
pushes signed partial rollups to its parent hub, resending until each is
acknowledged. Runs as tally-node@NAME.service with
/etc/tally/node-NAME.ini.")
set(CPACK_DEBIAN_NODE_PACKAGE_CONTROL_EXTRA
  "${tally_ctl}/node/postinst;${tally_ctl}/node/prerm;${tally_ctl}/node/postrm;${tally_ctl}/node/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian ships stripped binaries (lintian: unstripped-binary-or-object).
set(CPACK_STRIP_FILES ON)

include(CPack)
