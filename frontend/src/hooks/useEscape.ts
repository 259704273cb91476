// useEscape: calls onEscape when Escape is pressed anywhere in the window,
// while the component using it is shown (dialogs and drawers close on it).

import { useEffect } from "react";

export function useEscape(onEscape: () => void): void {
  useEffect(() => {
    const key = (e: KeyboardEvent) => e.key === "Escape" && onEscape();
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [onEscape]);
}
