// histogram.h — a Prometheus histogram with fixed upper bounds, lock-free:
// one relaxed atomic per bucket plus count and sum. observe() finds the
// bucket by a linear scan (a dozen bounds) and costs two atomic adds; _count
// is the +Inf bucket.
// NaN is counted in +Inf and left out of the sum.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace legit::insight {

class Histogram {
 public:
  Histogram(std::initializer_list<double> bounds)
      : bounds_(bounds), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

  void observe(double v) {
    std::size_t i = 0;
    while (i < bounds_.size() && !(v <= bounds_[i])) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    if (!std::isnan(v)) sum_.fetch_add(v, std::memory_order_relaxed);
  }

  // Appends HELP/TYPE, the cumulative _bucket lines, _sum and _count.
  void render(std::string& out, const std::string& name, const std::string& help) const {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
    std::uint64_t cumulative = 0;
    char buf[96];
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      if (i < bounds_.size()) std::snprintf(buf, sizeof buf, "%g", bounds_[i]);
      else std::snprintf(buf, sizeof buf, "+Inf");
      out += name + "_bucket{le=\"" + buf + "\"} " + std::to_string(cumulative) + "\n";
    }
    // _count is the +Inf bucket: the same snapshot keeps them equal.
    std::snprintf(buf, sizeof buf, "%.17g", sum_.load(std::memory_order_relaxed));
    out += name + "_sum " + buf + "\n";
    out += name + "_count " + std::to_string(cumulative) + "\n";
  }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

}  // namespace legit::insight
