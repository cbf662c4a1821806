// web_script.cc — was the message written by a script on a web server?
// Check `web-script`.
//
// PHP's mail() adds X-PHP-Originating-Script: <uid>:<script> (mail.add_x_header,
// on by default in many hosting panels; older builds and patches say
// X-PHP-Script: <host><path> for <client>). Hacked web sites mail through it:
// phishing kits, "mailer.php" shells, a compromised WordPress plugin. So does
// every honest contact form and shop notification of a small site, so this
// is weak evidence on its own; it matters next to other tells (an
// unauthenticated domain, a look-alike, a brand in the display name).
// Results:
//   php-script  the message carries X-PHP-Originating-Script or X-PHP-Script
//               (the first value is quoted in the detail)
// No finding otherwise. Bad input never throws: the value is quoted.
#include <memory>
#include <string>

#include "../core/names.h"
#include "legit/check.h"
#include "legit/headers.h"

namespace legit {
namespace {

class WebScript : public Check {
 public:
  void on_mail(Session&) override {
    field_.clear();
    value_.clear();
  }

  void on_header(Session&, std::string_view name, std::string_view value) override {
    if (!field_.empty()) return;
    if (iequals(name, "X-PHP-Originating-Script") || iequals(name, "X-PHP-Script")) {
      field_ = std::string(name);
      value_ = quote_untrusted(value, 120);
    }
  }

  std::vector<Finding> finish(Session&) override {
    if (field_.empty()) return {};
    return {{"web-script", "php-script",
             "written by a PHP script on a web server (" + quote_untrusted(field_, 40) + ": " + value_ + ")",
             {}}};
  }

 private:
  std::string field_, value_;
};

}  // namespace

CheckInfo web_script_check_info() {
  return {
      "web-script",
      "a message written by a PHP script on a web server (X-PHP-Originating-Script, X-PHP-Script)",
      {
          {"php-script", -1.0, "mail() of a web application: hacked sites and phishing kits send this way, "
                               "but so do honest contact forms and shops: weak (SpamAssassin "
                               "PHP_ORIG_SCRIPT ~0.5-1 on a spam scale)"},
      },
      {},
      [](const Config&) { return std::make_unique<WebScript>(); },
  };
}

}  // namespace legit
