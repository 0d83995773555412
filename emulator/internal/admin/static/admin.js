// The Enable/Disable checkbox of the plugin list opens its confirmation
// pop-up at once, as PowerSchool's does; without scripts, its form's button
// does the same.
document.addEventListener('change', function (e) {
  var box = e.target;
  if (box.classList && box.classList.contains('enable-toggle') && box.form) {
    box.form.submit();
  }
});
