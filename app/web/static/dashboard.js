// Filter menus apply on change (the page's Content-Security-Policy forbids inline handlers such as onchange).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

// Draws the time-to-support curves from the JSON the page embeds (no request leaves the page).
(function () {
  const data = document.getElementById("survival-data");
  const canvas = document.getElementById("survival-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const curves = JSON.parse(data.textContent);
  // Each vendor brings its own colour (app/web/colours.py): the same on every chart whatever the filters.
  const datasets = curves.map((curve) => ({
    label: curve.label,
    vendor: curve.vendor,
    data: curve.points,
    stepped: "before",
    borderColor: curve.colour,
    backgroundColor: curve.colour,
    pointRadius: 0,
    borderWidth: 2,
  }));
  // Most of the story is in the first weeks; a long censored tail would squash it against the axis.
  const longest = Math.max(...datasets.flatMap((d) => d.data.map((p) => p.x)), 1);
  const xMax = Math.min(Math.ceil(longest), 120);
  window.launchgapChart = new Chart(canvas, {
    type: "line",
    data: { datasets },
    options: {
      animation: false,
      parsing: false,
      scales: {
        x: { type: "linear", min: 0, max: xMax, title: { display: true, text: "days after release" } },
        y: { min: 0, max: 100, title: { display: true, text: "% still unsupported" } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
})();
