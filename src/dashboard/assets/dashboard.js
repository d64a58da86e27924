// Draws each chart of the charts page from the table under it (the table is the source: the page reads the same
// figures without JavaScript). A section.chart has data-type (bar, line, hbar), data-scale (divide the cells'
// data-v by it: kopecks → roubles), data-color ("nps" colours scores 0-6 / 7-8 / 9-10 as the NPS groups) and
// data-order ("newest-first": the table's rows run back in time).
(function () {
  'use strict';
  function draw(section) {
    var canvas = section.querySelector('canvas');
    var table = section.querySelector('table');
    if (!canvas || !table || typeof Chart === 'undefined') return;
    var scale = Number(section.dataset.scale || '1');
    var labels = [];
    var values = [];
    table.querySelectorAll('tbody tr').forEach(function (tr) {
      var cell = tr.querySelector('td[data-v]');
      if (!cell) return;
      labels.push(tr.querySelector('th').textContent);
      values.push(Number(cell.dataset.v) / scale);
    });
    // Tables list the newest day first (what one reads first); a chart runs left to right in time.
    if (section.dataset.order === 'newest-first') {
      labels.reverse();
      values.reverse();
    }
    var color = section.dataset.color;
    var colors = color === 'nps'
      ? values.map(function (_, i) { return i <= 6 ? '#dc2626' : i <= 8 ? '#eab308' : '#16a34a'; })
      : color;
    var type = section.dataset.type;
    new Chart(canvas, {
      type: type === 'hbar' ? 'bar' : type,
      data: {
        labels: labels,
        datasets: [{
          data: values, backgroundColor: colors, borderColor: type === 'line' ? color : undefined,
          fill: false, tension: 0.25, pointRadius: 2
        }]
      },
      options: {
        // Numbers as the page's language writes them (ru: «7 250,99»), not Chart.js's English default.
        locale: document.documentElement.lang || undefined,
        indexAxis: type === 'hbar' ? 'y' : 'x',
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        // Counts have whole ticks; money (scale 100) may have fractions of a rouble.
        scales: {
          x: { beginAtZero: true, ticks: { maxRotation: 0, autoSkip: true, precision: scale === 1 ? 0 : undefined } },
          y: { beginAtZero: true, ticks: { precision: scale === 1 ? 0 : undefined } }
        }
      }
    });
    section.dataset.drawn = 'true';
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('section.chart').forEach(draw);
  });
})();
