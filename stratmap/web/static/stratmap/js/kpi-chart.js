// Targets and actuals of one KPI across the years, from the page's JSON (no inline script: CSP-friendly).
(function () {
  "use strict";
  var holder = document.getElementById("kpi-chart");
  var source = document.getElementById("kpi-chart-data");
  if (!holder || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  if (data.years.length === 0) { holder.hidden = true; return; }
  var chart = echarts.init(holder, null, { renderer: "svg" });
  // The unit in its brackets as the page's language writes them (full-width in Chinese), made by the page.
  var unit = data.unit_shown || "";
  // What a screen reader says of the chart, in the page's language and with the numbers as the tables beside it
  // give them: ECharts' own description is in Simplified Chinese whatever the page, and says "NaN" for a period
  // without a value. The words come from the page (translated there), the numbers from the chart's data.
  var lang = document.documentElement.lang || "zh-Hant";
  var words = holder.dataset;
  function spoken(value) {
    return value === null || value === undefined || isNaN(value) ? words.none : Number(value).toLocaleString(lang);
  }
  var periods = data.years.map(function (year, i) {
    return year + words.colon + data.labels.target + " " + spoken(data.target[i]) + words.comma +
      data.labels.actual + " " + spoken(data.actual[i]);
  });
  var description = holder.getAttribute("aria-label") + unit + words.colon +
    periods.join(words.semicolon) + words.stop;
  chart.setOption({
    animation: false,
    aria: { enabled: true, label: { enabled: true, description: description } },
    tooltip: { trigger: "axis" },
    legend: { data: [data.labels.target, data.labels.actual], top: 0 },
    grid: { left: 56, right: 24, top: 36, bottom: 32 },
    xAxis: { type: "category", data: data.years },
    // The axis takes in zero (scale: false): bars measured from anything else exaggerate the difference.
    yAxis: { type: "value", name: unit.trim(), scale: false },
    series: [
      { name: data.labels.target, type: "line", data: data.target, symbol: "diamond", symbolSize: 10,
        lineStyle: { type: "dashed", color: "#6e7781" }, itemStyle: { color: "#6e7781" }, connectNulls: false },
      { name: data.labels.actual, type: "bar", data: data.actual, barMaxWidth: 36, itemStyle: { color: "#1f6feb" },
        label: { show: true, position: "top" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
