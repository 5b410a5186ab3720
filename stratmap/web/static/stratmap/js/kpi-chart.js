// Targets and actuals of one KPI across the years, from the page's JSON (no inline script: CSP-friendly).
(function () {
  "use strict";
  var holder = document.getElementById("kpi-chart");
  var source = document.getElementById("kpi-chart-data");
  if (!holder || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  if (data.years.length === 0) { holder.hidden = true; return; }
  var chart = echarts.init(holder, null, { renderer: "svg" });
  var unit = data.unit ? " (" + data.unit + ")" : "";
  chart.setOption({
    animation: false,
    aria: { enabled: true },
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
