# packaging/install.cmake — what `cmake --install` puts where (included by
# CMakeLists.txt; also what scripts/build-deb.sh packages):
#   sbin/legit-milter                      stripped (LEGIT_INSTALL_STRIP)
#   LEGIT_SYSCONFDIR/legit-milter.conf     etc/legit-milter.conf, only when
#                                          none exists (an admin's file is kept)
#   lib/systemd/system/legit-milter.service  paths rewritten to this install
#   lib/sysusers.d, lib/tmpfiles.d         legit-milter.conf each
#   share/man/man8, man5                   the generated man pages (gzipped)
#   share/doc/legit-milter                 README.md, the shipped config as
#                                          legit-milter.conf.example, contrib/
# Relative directories are under the install prefix (/usr/local by default;
# systemd also reads units, sysusers.d and tmpfiles.d under /usr/local/lib).
option(LEGIT_INSTALL_STRIP "Strip the installed binary" ON)
set(LEGIT_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING "systemd unit directory (relative: under the prefix)")
set(LEGIT_SYSUSERSDIR "lib/sysusers.d" CACHE STRING "sysusers.d directory (relative: under the prefix)")
set(LEGIT_TMPFILESDIR "lib/tmpfiles.d" CACHE STRING "tmpfiles.d directory (relative: under the prefix)")
set(LEGIT_DOCDIR "${CMAKE_INSTALL_DATAROOTDIR}/doc/legit-milter")

if(LEGIT_INSTALL_STRIP)
  install(CODE "if(NOT DEFINED CMAKE_INSTALL_DO_STRIP)\n  set(CMAKE_INSTALL_DO_STRIP 1)\nendif()")
endif()
install(TARGETS legit-milter RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# The config file: never over an existing one.
install(CODE "
  set(_conf \"${LEGIT_SYSCONFDIR}/legit-milter.conf\")
  if(EXISTS \"\$ENV{DESTDIR}\${_conf}\")
    message(STATUS \"Keeping the existing \${_conf} (the shipped one is ${LEGIT_DOCDIR}/legit-milter.conf.example)\")
  else()
    file(INSTALL DESTINATION \"${LEGIT_SYSCONFDIR}\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"${CMAKE_SOURCE_DIR}/etc/legit-milter.conf\")
  endif()")

# The systemd unit, with the paths of this install (prefix known only at
# install time: `cmake --install --prefix` and CPack may change it).
function(legit_dir_at_install var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${dir}" PARENT_SCOPE)
  else()
    set(${var} "\${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
legit_dir_at_install(_unitdir "${LEGIT_SYSTEMD_UNITDIR}")
install(CODE "
  file(READ \"${CMAKE_SOURCE_DIR}/contrib/systemd/legit-milter.service\" _unit)
  string(REPLACE \"/usr/sbin/legit-milter\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/legit-milter\" _unit \"\${_unit}\")
  string(REPLACE \"/etc/legit-milter.conf\" \"${LEGIT_SYSCONFDIR}/legit-milter.conf\" _unit \"\${_unit}\")
  string(REPLACE \"/usr/share/doc/legit-milter\" \"\${CMAKE_INSTALL_PREFIX}/${LEGIT_DOCDIR}\" _unit \"\${_unit}\")
  string(RANDOM LENGTH 12 _tmp)  # installs may run side by side (tests)
  set(_tmp \"${CMAKE_BINARY_DIR}/install/\${_tmp}\")
  file(WRITE \"\${_tmp}/legit-milter.service\" \"\${_unit}\")
  file(INSTALL DESTINATION \"${_unitdir}\" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES \"\${_tmp}/legit-milter.service\")
  file(REMOVE_RECURSE \"\${_tmp}\")")
install(FILES contrib/systemd/legit-milter.sysusers DESTINATION ${LEGIT_SYSUSERSDIR} RENAME legit-milter.conf)
install(FILES contrib/systemd/legit-milter.tmpfiles DESTINATION ${LEGIT_TMPFILESDIR} RENAME legit-milter.conf)

install(FILES ${LEGIT_MAN_DIR}/legit-milter.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${LEGIT_MAN_DIR}/legit-milter.conf.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

install(FILES README.md DESTINATION ${LEGIT_DOCDIR})
install(FILES etc/legit-milter.conf DESTINATION ${LEGIT_DOCDIR} RENAME legit-milter.conf.example)
install(DIRECTORY contrib/postfix contrib/fail2ban contrib/spamassassin DESTINATION ${LEGIT_DOCDIR}/examples)
# Monitoring: the Grafana dashboard and the Prometheus alert rules (not their
# generator and test).
install(FILES contrib/grafana/legit-milter.json DESTINATION ${LEGIT_DOCDIR}/examples/grafana)
install(FILES contrib/prometheus/legit-milter-alerts.yml DESTINATION ${LEGIT_DOCDIR}/examples/prometheus)

include(packaging/deb/cpack.cmake)
