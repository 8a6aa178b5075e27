// Text that may be very long (a 60,000-character caption): the first part, then "more" to show
// the rest; "less" folds it again. Short text shows as is.

import { useState } from 'react';

export function LongText({ text, max = 240 }: { text: string; max?: number }) {
  const [open, setOpen] = useState(false);
  if (text.length <= max) return <>{text}</>;
  return (
    <>
      {open ? text : `${text.slice(0, max)}…`}{' '}
      <button
        type="button"
        className="link-button"
        aria-expanded={open}
        onClick={(e) => {
          e.stopPropagation();
          setOpen(!open);
        }}
      >
        {open ? 'less' : `more (${text.length.toLocaleString('en-US')} characters)`}
      </button>
    </>
  );
}
