// Marks each sideways-scrolling table (`.table-wrap`) whose content is wider than it is with
// `scrolls` (and `scrolled-to-end` once scrolled all the way), and its card with `has-scroll`,
// so the stylesheet shows the cue "Scroll sideways for more columns". Checked again whenever
// the page's content or the window's size changes, at most once a frame.
(function () {
    let pending = false;

    function mark() {
        pending = false;
        document.querySelectorAll(".table-wrap").forEach(function (wrap) {
            const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
            const atEnd = wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1;
            wrap.classList.toggle("scrolls", scrolls);
            wrap.classList.toggle("scrolled-to-end", atEnd);
            const card = wrap.closest(".card");
            if (card) {
                card.classList.toggle("has-scroll", scrolls);
            }
        });
    }

    function soon() {
        if (!pending) {
            pending = true;
            window.requestAnimationFrame(mark);
        }
    }

    new MutationObserver(soon).observe(document.documentElement, {
        childList: true,
        subtree: true,
    });
    window.addEventListener("resize", soon);
    document.addEventListener("scroll", soon, true);
})();
