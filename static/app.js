// minxin pages: small enhancements only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // district → street → community: offer only the children of the chosen parent
  function cascade(parent) {
    var childId = parent.getAttribute("data-child");
    var child = childId && document.getElementById(childId);
    if (!child) return;
    var chosen = parent.value;
    Array.prototype.forEach.call(child.options, function (o) {
      if (!o.value) return;
      var show = !!chosen && o.getAttribute("data-parent") === chosen;
      o.hidden = !show;
      o.disabled = !show;
      if (!show && o.selected) { child.value = ""; }
    });
    cascade(child);
  }
  ["district", "street"].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) {
      el.addEventListener("change", function () { cascade(el); });
    }
  });
  var district = document.getElementById("district");
  if (district) cascade(district);

  // the enterprise fields only for enterprises
  var box = document.querySelector(".enterprise-only");
  if (box) {
    var sync = function () {
      var checked = document.querySelector("input[name=appellant_kind]:checked");
      box.hidden = !(checked && checked.value === "enterprise");
    };
    document.querySelectorAll("input[name=appellant_kind]").forEach(function (r) {
      r.addEventListener("change", sync);
    });
    sync();
  }
});
