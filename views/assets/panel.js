// Progressive enhancement only: every page works without this file.
// It touches only elements inside .mta-sts, so a host panel's own page around them is left alone.
// Copy buttons are hidden until this script can make them work.
document.querySelectorAll('.mta-sts button.copy[data-copy]').forEach((button) => {
  button.hidden = false;
  button.addEventListener('click', async () => {
    const label = button.firstChild.textContent;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.firstChild.textContent = 'Copied';
    } catch {
      button.firstChild.textContent = 'Select and copy by hand';
    }
    setTimeout(() => {
      button.firstChild.textContent = label;
    }, 2000);
  });
});

// Times in the viewer's own time zone; the UTC text stays in the page, the exact ISO time
// in the tooltip.
document.querySelectorAll('.mta-sts time[data-local][datetime]').forEach((element) => {
  const when = new Date(element.dateTime);
  if (Number.isNaN(when.getTime())) return;
  element.textContent = when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
});
