# packaging/deb/cpack.cmake — the Debian package, built by CPack's DEB
# generator from an install of this build (scripts/build-deb.sh runs it):
# legit-milter_<version>_<arch>.deb with
#   - Depends from dpkg-shlibdeps, plus adduser (postinst creates the user);
#   - /etc/legit-milter.conf as a conffile (an admin's edits survive upgrades,
#     purge removes it);
#   - postinst: the system user legit-milter, the socket directory when
#     Postfix is there; nothing enabled or started (see the README);
#   - prerm stops a running service, postrm purge removes what postinst made
#     (not the user: Debian leaves system users in place);
#   - copyright and changelog.gz in /usr/share/doc/legit-milter.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME legit-milter)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "legit-milter maintainers <maintainers@users.noreply.h-seed-0c346341.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Postfix milter that scores how legitimate an SMTP sender is")
set(CPACK_PACKAGE_DESCRIPTION "legit-milter checks the connecting client while it is still talking
(forward-confirmed PTR, HELO, DNS blocklists, SPF, DKIM, DMARC, the sender
domain), adds the findings up into one legitimacy score, adds the headers
X-Legit-Score and Authentication-Results, and quarantines or rejects below
configurable thresholds. A dry-run mode only adds headers and logs.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postfix")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(LEGIT_DEB_DIR ${CMAKE_CURRENT_LIST_DIR})
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${LEGIT_DEB_DIR}/conffiles ${LEGIT_DEB_DIR}/postinst ${LEGIT_DEB_DIR}/prerm ${LEGIT_DEB_DIR}/postrm)
# Runs in the staged tree before it is packed: copyright, changelog.gz.
configure_file(${LEGIT_DEB_DIR}/changelog.in ${CMAKE_BINARY_DIR}/deb/changelog @ONLY)
set(LEGIT_DEB_STAGE_SCRIPT ${CMAKE_BINARY_DIR}/deb/stage.cmake)
file(WRITE ${LEGIT_DEB_STAGE_SCRIPT} "
  file(GLOB _roots \"\${CPACK_TEMPORARY_DIRECTORY}\" \"\${CPACK_TEMPORARY_DIRECTORY}/*\")
  foreach(_root \${_roots})
    if(IS_DIRECTORY \"\${_root}/usr/share/doc/legit-milter\")
      set(_doc \"\${_root}/usr/share/doc/legit-milter\")
      file(COPY \"${LEGIT_DEB_DIR}/copyright\" DESTINATION \"\${_doc}\")
      execute_process(COMMAND sh -c \"gzip -9n <'${CMAKE_BINARY_DIR}/deb/changelog' >'\${_doc}/changelog.gz'\")
    endif()
  endforeach()
")
set(CPACK_PRE_BUILD_SCRIPTS ${LEGIT_DEB_STAGE_SCRIPT})
include(CPack)
