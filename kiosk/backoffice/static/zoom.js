// Material pages open full-screen; "放大"/"缩小" step the scale, "适合屏幕" fits, Esc closes.
(function () {
  const box = document.getElementById("zoom");
  if (!box) return;
  const view = box.querySelector(".zoomview");
  const img = view.querySelector("img");
  let scale = 0;  // 0 = fit to screen
  function apply() {
    view.classList.toggle("fit", scale === 0);
    img.style.width = scale === 0 ? "" : (img.naturalWidth * scale) + "px";
  }
  function close() { box.hidden = true; img.removeAttribute("src"); }
  document.querySelectorAll("[data-zoom]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      scale = 0;
      img.src = link.href;
      box.hidden = false;
      apply();
    });
  });
  box.querySelectorAll("[data-zoom-step]").forEach(function (button) {
    button.addEventListener("click", function () {
      const step = Number(button.dataset.zoomStep);
      if (step === 0) { scale = 0; }
      else {
        const current = scale || Math.min(view.clientWidth / img.naturalWidth, 1);
        scale = Math.max(0.1, Math.min(4, current * (step > 0 ? 1.5 : 1 / 1.5)));
      }
      apply();
    });
  });
  box.querySelector("[data-zoom-close]").addEventListener("click", close);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
})();
