// The address map's pointer: names the block under it (text only, never markup), zooms into a
// summed cell on click, opens a child pool. Everything it shows comes from data attributes the
// server escaped.
"use strict";
document.querySelectorAll("figure.mapbox").forEach(function (box) {
  var info = box.querySelector(".mapinfo");
  var svg = box.querySelector("svg.map");
  if (!info || !svg) return;
  var idle = info.textContent;
  function describe(el) {
    var d = el.dataset;
    if (d.free) return "free space in " + d.c;
    if (d.n) {
      return d.c + ": " + d.n + " allocation" + (d.n === "1" ? "" : "s") + ", " + d.u +
        "% used (first " + d.f + "). Click to zoom in.";
    }
    var kind = { alloc: "allocation", resv: "reservation", child: "child pool" }[d.k] || "";
    var text = d.c + " · " + kind + " " + (d.id || "");
    if (d.r) text += " · " + d.r;
    if (d.d) text += " — " + d.d;
    return text;
  }
  svg.addEventListener("mousemove", function (ev) {
    var el = ev.target.closest("[data-c]");
    info.textContent = el ? describe(el) : idle;
  });
  svg.addEventListener("mouseleave", function () { info.textContent = idle; });
  svg.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-c]");
    if (!el) return;
    var d = el.dataset;
    if (d.n) {
      location.href = "?zoom=" + encodeURIComponent(d.c) + "#map";
    } else if (d.k === "child" && d.r) {
      location.href = "/pools/" + encodeURIComponent(d.r);
    }
  });
});
