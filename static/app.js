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

  // photos: say at once when there are too many or one is too large, rather than after the
  // upload (the server checks again, and checks the type by the content)
  var photos = document.getElementById("photos");
  var check = document.getElementById("photos-check");
  if (photos && check) {
    photos.addEventListener("change", function () {
      var maxCount = parseInt(photos.getAttribute("data-max-count"), 10);
      var maxBytes = parseInt(photos.getAttribute("data-max-bytes"), 10);
      var files = Array.prototype.slice.call(photos.files || []);
      var problem = "";
      if (files.length > maxCount) {
        problem = photos.getAttribute("data-too-many");
      } else if (files.some(function (f) { return f.size > maxBytes; })) {
        problem = photos.getAttribute("data-too-large");
      }
      check.textContent = problem;
      check.hidden = !problem;
      if (problem) { photos.value = ""; }
    });
  }
});
