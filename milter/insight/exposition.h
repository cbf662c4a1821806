// exposition.h — reads Prometheus text exposition back into samples (what
// `legit-milter stats` gets from /metrics), and the histogram arithmetic a
// human summary needs.
//
// Bad input: lines that are not "name[{labels}] value" are skipped; a label
// value keeps its escapes undone (\\, \", \n). Never throws.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace legit::insight {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Sample> parse_exposition(std::string_view text);

class Samples {
 public:
  explicit Samples(std::vector<Sample> s) : all_(std::move(s)) {}
  // Sum of every sample named `name` whose labels include all of `match`.
  double sum(std::string_view name, const std::map<std::string, std::string>& match = {}) const;
  // Samples named `name`.
  std::vector<const Sample*> named(std::string_view name) const;
  // histogram_quantile(q) over `name`_bucket, linear within a bucket;
  // nullopt without observations.
  std::optional<double> quantile(std::string_view name, double q) const;

 private:
  std::vector<Sample> all_;
};

}  // namespace legit::insight
