// test_web_script.cc — the web-script check (milter/checks/web_script.cc).
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

TEST_CASE("web-script: PHP mail() headers, per message") {
  const CheckInfo* info = check_info("web-script");
  REQUIRE(info);
  Config cfg = make_config();
  FakeResolver dns;
  Engine engine(cfg, dns, {info});
  Msg m;
  m.ip = "192.0.2.200";
  m.headers = {{"From", "a@example.com"}, {"X-PHP-Originating-Script", "1000:mailer.php\r\n\tx\x01"}};
  Outcome o = run_message(engine, m);
  CHECK(result_of(o, "web-script") == "php-script");
  CHECK(o.verdict.items.front().points == cfg.points("web-script", "php-script"));
  CHECK(o.verdict.items.front().finding.detail.find("mailer.php") != std::string::npos);
  CHECK(o.verdict.items.front().finding.detail.find('\n') == std::string::npos);
  m.headers = {{"From", "a@example.com"}, {"x-php-script", "www.example.com/contact.php for 198.51.100.1"}};
  CHECK(result_of(run_message(engine, m), "web-script") == "php-script");
  m.headers = {{"From", "a@example.com"}, {"X-Mailer", "PHPMailer 6.8"}};
  CHECK(result_of(run_message(engine, m), "web-script") == "");
  // per message on one connection
  auto d = engine.open();
  d->connect("unknown", "192.0.2.200");
  d->helo("mail.example.com");
  d->mail_from("<a@example.com>", "");
  d->header("X-PHP-Originating-Script", "33:wp-mail.php");
  d->end_of_headers();
  CHECK(result_of(d->end_of_message("Q1"), "web-script") == "php-script");
  d->mail_from("<a@example.com>", "");
  d->header("From", "a@example.com");
  d->end_of_headers();
  CHECK(result_of(d->end_of_message("Q2"), "web-script") == "");
  CHECK(cfg.points("web-script", "php-script") > -2);  // honest contact forms: weak only
}
