// Progressive enhancement only: every page works without this file.
// Copy buttons are hidden until this script can make them work.
document.querySelectorAll('button.copy[data-copy]').forEach((button) => {
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
