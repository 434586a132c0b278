#include "tokenfab/gateway/chart_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ChartPageTest, InlinesTheChartCodeTheDataAndTheScript) {
  const std::string html = ChartPageHtml({.title = "a <b> report",
                                          .body_html = "<div id=\"charts\"></div>",
                                          .data_json = R"({"name":"x</script><p>"})",
                                          .data_name = "REPORT",
                                          .script = "usage_report.js"});
  EXPECT_THAT(html, HasSubstr("<title>a &lt;b&gt; report</title>"));
  EXPECT_THAT(html, HasSubstr("<div id=\"charts\"></div>"));
  EXPECT_THAT(html, HasSubstr("uPlot"));         // the library
  EXPECT_THAT(html, HasSubstr("global.TF = "));  // the shared chart helpers
  EXPECT_THAT(html, HasSubstr("window.USAGE"));  // the named drawing script
  // The data cannot close its <script>; it comes before the script that draws it.
  EXPECT_THAT(html, HasSubstr(R"(window.REPORT = {"name":"x\u003c/script>\u003cp>"};)"));
  EXPECT_LT(html.find("window.REPORT = "), html.find("const u = window.USAGE"));
  EXPECT_THAT(html, Not(HasSubstr("src=")));  // nothing fetched from elsewhere
}

}  // namespace
}  // namespace tokenfab::gateway
