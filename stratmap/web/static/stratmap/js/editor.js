// The map editor: a click on an objective of the drawn map picks a link's cause, then its effect, in the
// form's two lists (which work alone, by keyboard too); the objective's own link is not followed.
(function () {
  "use strict";
  var map = document.querySelector(".editor-map");
  if (!map) return;
  var source = document.getElementById(map.dataset.pickSource);
  var target = document.getElementById(map.dataset.pickTarget);
  if (!source || !target) return;
  map.addEventListener("click", function (event) {
    var box = event.target.closest("g.objective[data-code]");
    if (!box) return;
    event.preventDefault();
    var code = box.getAttribute("data-code");
    var list = !source.value || (source.value && target.value) ? source : target;
    if (list === source) target.value = "";
    list.value = code;
    map.querySelectorAll("g.objective.picked").forEach(function (g) { g.classList.remove("picked"); });
    [source.value, target.value].forEach(function (picked) {
      var g = picked && map.querySelector('g.objective[data-code="' + CSS.escape(picked) + '"]');
      if (g) g.classList.add("picked");
    });
    (list === source ? target : source).focus();
  });
})();
